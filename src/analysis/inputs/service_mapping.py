"""The `service_index` mapping of dataset.yaml (Decision 766/QĐ-TTg): which dossier counts feed
which indicator, which indicators which group, each group's maximum points and each indicator's
scoring rule. Read and checked here, with the inputs, so that loading a dataset needs nothing
from the indices.

An indicator's points = ``max_points`` × min(1, rate ÷ ``target``): linear with the default
target 1, full points from the target otherwise (the portal's 50% and 90% rules). Where its
denominator is 0 the rate is undefined and ``if_no_denominator`` decides: ``missing`` (the
default: the group and the unit's total are missing, the report says which indicator),
``zero`` or ``full``. A group's points are the sum of its indicators' points. ``rule``:
``per_indicator`` (these fields), or ``linear`` (the earlier mapping: no targets; an
indicator's maximum defaults to an equal share of its group's).
"""
from __future__ import annotations

import copy

from analysis.inputs.errors import InputError, Problem

# Per unit and period. n_resolved_due: resolved dossiers with a due date; n_not_dissatisfied:
# dossiers neither rated dissatisfied nor complained about (each dossier counted once).
COUNTS = ("n_received", "n_published", "n_resolved", "n_resolved_due", "n_on_time",
          "n_digitised", "n_online", "n_fee", "n_paid_online", "n_dissatisfied", "n_complaint",
          "n_not_dissatisfied")

RULES = ("linear", "per_indicator")
NO_DENOMINATOR = ("missing", "zero", "full")
MIN_DOSSIERS = 30

# Indicator rules as far as the evidence went on 2026-11-29 (the project's copy of
# shared/data/decision766/indicators.csv, whose rows cite their sources): the Decision's annex
# itself was not read, so the mapping stays `confirmed: false`. The portal splits the 22 points
# of online services into online services 12 and online payment 10. Each indicator here is
# the dossier-level indicator of its group that dossier records can compute.
_PORTAL = ("github.com/ChippedTopaz/qd766: the national portal's formula workbook ('Công thức "
           "766.xlsx', sheet METRICS) and description ('Mô tả công thức tính chỉ số 766.docx'), "
           "fitted to the portal's published scores")
DEFAULT_SERVICE_INDEX = {
    "rule": "per_indicator",
    "confirmed": False,
    "min_dossiers": MIN_DOSSIERS,
    "source": "Decision 766/QĐ-TTg of 23/6/2022 (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất "
              "lượng phục vụ người dân, doanh nghiệp): five groups, 100 points — transparency "
              "18, progress and results 20, digitisation 22, online services 22, satisfaction "
              "18 (summaries of the Decision: sonoivu.namdinh.gov.vn, vietjack.me, "
              "baocaotaichinh.vn); indicator rules from " + _PORTAL + ".",
    "source_vi": "Quyết định 766/QĐ-TTg ngày 23/6/2022 (Bộ chỉ số chỉ đạo, điều hành và đánh "
                 "giá chất lượng phục vụ người dân, doanh nghiệp): năm nhóm, 100 điểm — công "
                 "khai, minh bạch 18; tiến độ, kết quả giải quyết 20; số hóa hồ sơ 22; cung cấp "
                 "dịch vụ trực tuyến 22; mức độ hài lòng 18 (tóm tắt Quyết định: "
                 "sonoivu.namdinh.gov.vn, vietjack.me, baocaotaichinh.vn); quy tắc tính từng chỉ "
                 "tiêu theo bảng công thức và bản mô tả của Cổng Dịch vụ công quốc gia "
                 "(github.com/ChippedTopaz/qd766: 'Công thức 766.xlsx', trang METRICS; 'Mô tả "
                 "công thức tính chỉ số 766.docx'), đối chiếu với điểm số Cổng đã công bố.",
    "notes": "One dossier-level indicator per group (the portal's groups also hold procedure-"
             "level indicators that dossier records cannot give); maxima and rules are this "
             "project's reading of the portal's formulas, not the annex's text: unconfirmed.",
    "indicators": {
        "transparency": {
            "numerator": "n_published", "denominator": "n_received", "max_points": 18,
            "label_vi": "Hồ sơ được công khai, đồng bộ trạng thái",
            "label_en": "Dossiers published on the portal",
            "rule_vi": "tuyến tính (chỉ tiêu 1.4 của Cổng: điểm = tối đa × tỷ lệ); không có hồ sơ: "
                       "thiếu (Cổng dùng số hồ sơ năm trước, ở đây không có)",
            "rule_en": "linear (portal indicator 1.4: points = maximum × rate); no dossier: missing "
                       "(the portal falls back on last year's volume, not available here)",
            "source": _PORTAL + ", indicator 1.4 (linear, matched to the API)"},
        "on_time": {
            "numerator": "n_on_time", "denominator": "n_resolved_due", "max_points": 20,
            "label_vi": "Hồ sơ giải quyết đúng hạn", "label_en": "Resolved on time",
            "rule_vi": "tuyến tính (chỉ tiêu 2.1: điểm = 20 × tỷ lệ đúng hạn); không có hồ sơ đã giải "
                       "quyết có hạn: thiếu",
            "rule_en": "linear (indicator 2.1: points = 20 × share on time); no resolved dossier "
                       "with a deadline: missing",
            "source": _PORTAL + ", indicator 2.1 (linear, 984 API observations); 20 points in "
                      "baocaotaichinh.vn's summary of the Decision"},
        "digitisation": {
            "numerator": "n_digitised", "denominator": "n_received", "max_points": 22,
            "label_vi": "Hồ sơ được số hóa", "label_en": "Dossiers digitised",
            "rule_vi": "tuyến tính (chỉ tiêu 4.2; tài liệu của Cổng nêu ngưỡng 80% nhưng điểm công "
                       "bố khớp với tuyến tính: chưa thống nhất); không có hồ sơ: thiếu",
            "rule_en": "linear (indicator 4.2; the portal's description states an 80% target but "
                       "its published points fit the linear rule: unresolved); no dossier: missing",
            "source": _PORTAL + ", indicator 4.2 (conflict between the description and the API fit)"},
        "online_submission": {
            "numerator": "n_online", "denominator": "n_received", "max_points": 12, "target": 0.5,
            "label_vi": "Hồ sơ nộp trực tuyến", "label_en": "Submitted online",
            "rule_vi": "đủ điểm từ 50% (chỉ tiêu 3.3: dưới 50%, điểm = tối đa × tỷ lệ ÷ 50%); "
                       "không có hồ sơ: thiếu",
            "rule_en": "full points from 50% (indicator 3.3: below 50%, points = maximum × rate "
                       "÷ 50%); no dossier: missing",
            "source": _PORTAL + ", indicator 3.3 (50% target in the description); 12 points: the "
                      "portal's online-services subgroup"},
        "online_payment": {
            "numerator": "n_paid_online", "denominator": "n_fee", "max_points": 10,
            "label_vi": "Thanh toán trực tuyến", "label_en": "Paid online",
            "rule_vi": "tuyến tính (chỉ tiêu 3.6: điểm = tối đa × tỷ lệ); không có hồ sơ có phí: thiếu",
            "rule_en": "linear (indicator 3.6: points = maximum × rate); no fee-bearing dossier: "
                       "missing",
            "source": _PORTAL + ", indicator 3.6 (linear); 10 points: the portal's online-payment "
                      "subgroup"},
        "satisfaction": {
            "numerator": "n_not_dissatisfied", "denominator": "n_received", "max_points": 18,
            "target": 0.9, "if_no_denominator": "zero",
            "label_vi": "Mức độ hài lòng", "label_en": "Satisfaction",
            "rule_vi": "đủ điểm từ 90% (chỉ tiêu 5.4: dưới 90%, điểm = tối đa × tỷ lệ ÷ 90%); "
                       "không có hồ sơ: 0 điểm",
            "rule_en": "full points from 90% (indicator 5.4: below 90%, points = maximum × rate "
                       "÷ 90%); no dossier: 0 points",
            "source": _PORTAL + ", indicator 5.4 (90% target, description and API agree; no "
                      "dossier gives 0); formula in the Decision's summaries (vietjack.me, "
                      "lamdong.dcs.vn)"},
    },
    "groups": [
        {"code": "transparency", "label_vi": "Công khai, minh bạch", "label_en": "Transparency",
         "max_points": 18, "indicators": ["transparency"]},
        {"code": "progress", "label_vi": "Tiến độ, kết quả giải quyết",
         "label_en": "Progress and results", "max_points": 20, "indicators": ["on_time"]},
        {"code": "digitisation", "label_vi": "Số hóa hồ sơ", "label_en": "Digitisation",
         "max_points": 22, "indicators": ["digitisation"]},
        {"code": "online_services", "label_vi": "Cung cấp dịch vụ trực tuyến",
         "label_en": "Online services", "max_points": 22,
         "indicators": ["online_submission", "online_payment"]},
        {"code": "satisfaction", "label_vi": "Mức độ hài lòng", "label_en": "Satisfaction",
         "max_points": 18, "indicators": ["satisfaction"]},
    ],
}


def indicator_rules(spec: dict) -> dict[str, dict]:
    """Each indicator's ``max_points`` (default: its group's maximum ÷ the group's number of
    indicators), ``target`` (default 1) and ``if_no_denominator`` (default "missing")."""
    rules = {}
    for group in spec["groups"]:
        share = group["max_points"] / len(group["indicators"])
        for code in group["indicators"]:
            ind = spec["indicators"][code]
            rules[code] = {"max_points": float(ind.get("max_points", share)),
                           "target": float(ind.get("target", 1.0)),
                           "if_no_denominator": ind.get("if_no_denominator", "missing")}
    return rules


def service_mapping(settings: dict | None = None) -> dict:
    """The `service_index` mapping checked (DEFAULT_SERVICE_INDEX when None); InputError names
    the dataset.yaml key at fault."""
    spec = copy.deepcopy(DEFAULT_SERVICE_INDEX if settings is None else settings)
    problems = []

    def bad(key: str, message: str) -> None:
        problems.append(Problem("dataset.yaml", None, f"service_index.{key}".rstrip("."), message,
                                "see DEFAULT_SERVICE_INDEX in analysis/inputs/service_mapping.py"))

    if not isinstance(spec, dict):
        bad("", "expected a mapping (rule, indicators, groups)")
        raise InputError(problems)
    if spec.get("rule") not in RULES:
        bad("rule", f"unknown rule {spec.get('rule')!r}; one of {RULES}")
    minimum = spec.get("min_dossiers", MIN_DOSSIERS)
    if isinstance(minimum, bool) or not isinstance(minimum, int) or minimum < 0:
        bad("min_dossiers", f"{minimum!r} is not a whole number ≥ 0")
    indicators = spec.get("indicators") or {}
    if not isinstance(indicators, dict):
        bad("indicators", "expected a mapping of indicator codes")
        indicators = {}
    for code, ind in indicators.items():
        for part in ("numerator", "denominator"):
            found = ind.get(part) if isinstance(ind, dict) else None
            if not isinstance(found, str) or found not in COUNTS:
                bad(f"indicators.{code}.{part}", f"{found!r} is not one of {COUNTS}")
        if not isinstance(ind, dict):
            continue
        target = ind.get("target", 1)
        if not isinstance(target, (int, float)) or isinstance(target, bool) or not 0 < target <= 1:
            bad(f"indicators.{code}.target", f"{target!r} is not a rate in (0, 1]")
        elif target != 1 and spec.get("rule") == "linear":
            bad(f"indicators.{code}.target", "a target needs rule: per_indicator")
        if ind.get("if_no_denominator", "missing") not in NO_DENOMINATOR:
            bad(f"indicators.{code}.if_no_denominator", f"one of {NO_DENOMINATOR}")
        points = ind.get("max_points", 0)
        if not isinstance(points, (int, float)) or isinstance(points, bool) or points < 0:
            bad(f"indicators.{code}.max_points", "a number ≥ 0 is required")
    groups = spec.get("groups")
    if not groups or not isinstance(groups, list):
        bad("groups", "no groups (expected a list)")
        groups = []
    for i, group in enumerate(groups):
        if not isinstance(group, dict):
            bad(f"groups[{i}]", "expected a mapping (code, labels, max_points, indicators)")
            continue
        if not isinstance(group.get("max_points"), (int, float)) or isinstance(group["max_points"], bool):
            bad(f"groups[{i}].max_points", "a number is required")
        members = group.get("indicators")
        if not members or not isinstance(members, list) or not all(
                isinstance(m, str) and m in indicators for m in members):
            bad(f"groups[{i}].indicators", "list indicators defined under service_index.indicators")
        elif isinstance(group.get("max_points"), (int, float)):
            given = [indicators[c].get("max_points") if isinstance(indicators[c], dict) else None
                     for c in members]
            if all(isinstance(p, (int, float)) for p in given) and abs(sum(given) - group["max_points"]) > 1e-9:
                bad(f"groups[{i}].indicators", f"the indicators' max_points add up to {sum(given)}, "
                    f"not the group's {group['max_points']}")
    if problems:
        raise InputError(problems)
    return spec
