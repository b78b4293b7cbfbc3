"""The `service_index` mapping of dataset.yaml (Decision 766/QĐ-TTg): which dossier counts feed
which indicator, which indicators which group, and each group's maximum points. Read and checked
here, with the inputs, so that loading a dataset needs nothing from the indices."""
from __future__ import annotations

import copy

from analysis.inputs.errors import InputError, Problem

# Per unit and period. n_resolved_due: resolved dossiers with a due date; n_not_dissatisfied:
# dossiers neither rated dissatisfied nor complained about (each dossier counted once).
COUNTS = ("n_received", "n_published", "n_resolved", "n_resolved_due", "n_on_time",
          "n_digitised", "n_online", "n_fee", "n_paid_online", "n_dissatisfied", "n_complaint",
          "n_not_dissatisfied")

DEFAULT_SERVICE_INDEX = {
    "rule": "linear",
    "confirmed": False,
    "source": "Decision 766/QĐ-TTg of 23/6/2022 (Bộ chỉ số chỉ đạo, điều hành và đánh giá chất "
              "lượng phục vụ người dân, doanh nghiệp): five groups, 100 points — transparency "
              "18, progress and results 20, digitisation 22, online services 22, satisfaction "
              "18; satisfaction = (all dossiers − dissatisfied or complained about) ÷ all.",
    "notes": "Indicator per group and the linear rule (points = maximum × rate; a group of "
             "several indicators takes their mean rate) are this project's reading, not the "
             "annex's text: unconfirmed.",
    "indicators": {
        "transparency": {"numerator": "n_published", "denominator": "n_received",
                         "label_vi": "Hồ sơ được công khai, đồng bộ trạng thái",
                         "label_en": "Dossiers published on the portal"},
        "on_time": {"numerator": "n_on_time", "denominator": "n_resolved_due",
                    "label_vi": "Hồ sơ giải quyết đúng hạn", "label_en": "Resolved on time"},
        "digitisation": {"numerator": "n_digitised", "denominator": "n_received",
                         "label_vi": "Hồ sơ được số hóa", "label_en": "Dossiers digitised"},
        "online_submission": {"numerator": "n_online", "denominator": "n_received",
                              "label_vi": "Hồ sơ nộp trực tuyến",
                              "label_en": "Submitted online"},
        "online_payment": {"numerator": "n_paid_online", "denominator": "n_fee",
                           "label_vi": "Thanh toán trực tuyến", "label_en": "Paid online"},
        "satisfaction": {"numerator": "n_not_dissatisfied", "denominator": "n_received",
                         "label_vi": "Mức độ hài lòng", "label_en": "Satisfaction"},
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
    if spec.get("rule") != "linear":
        bad("rule", f"unknown rule {spec.get('rule')!r}; only 'linear' is implemented")
    indicators = spec.get("indicators") or {}
    if not isinstance(indicators, dict):
        bad("indicators", "expected a mapping of indicator codes")
        indicators = {}
    for code, ind in indicators.items():
        for part in ("numerator", "denominator"):
            found = ind.get(part) if isinstance(ind, dict) else None
            if not isinstance(found, str) or found not in COUNTS:
                bad(f"indicators.{code}.{part}", f"{found!r} is not one of {COUNTS}")
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
    if problems:
        raise InputError(problems)
    return spec
