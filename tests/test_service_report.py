"""The service-quality section in both languages: the generated sentences state the published
figures of the source articles, and a monthly run across the July 2025 reorganisation says
which comparisons are recomputed."""
from pathlib import Path

import pytest

from analysis.inputs.dataset import load_dataset
from analysis.publication.report import Report
from analysis.indices.results import compute_results
from analysis.synth.dossiers import make_demo_dossiers


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("service") / "demo-dossiers"
    make_demo_dossiers(root, dossiers_per_year=60_000)
    return root


@pytest.fixture(scope="module")
def october_2024(demo):
    """The demo's October 2024 table with the published figures of that month written in
    (Decision 766 index, October 2024: Vietnam Social Security 79.45 points, +14.7 on the month,
    2nd; Hung Yen 87.69, +10.85, 5th of 63; Bac Kan 82.58, +13.09, 22nd) and Ha Tinh's 2023
    rates against the national ones (online submission 57.01% vs 38.26%, online payment 34.37%
    vs 27.08%, satisfaction 94.44%, 27th of 63, 2nd in its region)."""
    ds = load_dataset(demo)
    tables = compute_results(ds, 2024, period="2024-10")
    s = tables["service_index"].set_index("unit_id")
    s["points_change"] = 1.0                       # every other unit moved little
    published = {"m_bhxh": (2, 79.45, 14.7), "33": (5, 87.69, 10.85), "06": (22, 82.58, 13.09)}
    for unit, (rank, total, change) in published.items():
        s.loc[unit, ["rank", "total", "points_change"]] = [rank, total, change]
    s.loc[["33", "06", "42"], "n_ranked"] = 63
    rates = [c for c in s.columns if c.startswith(("rate_", "national_"))]
    s.loc["42", rates] = float("nan")
    s.loc["42", ["rate_online_submission", "national_online_submission", "rate_online_payment",
                 "national_online_payment", "rate_satisfaction"]] = [0.5701, 0.3826, 0.3437,
                                                                     0.2708, 0.9444]
    s.loc["42", ["rank", "rank_region"]] = [27, 2]
    tables["service_index"] = s.reset_index()
    return ds, tables


def row(tables, unit):
    s = tables["service_index"]
    return s[s["unit_id"] == unit].iloc[0]


def test_rank_sentences_state_the_published_figures(october_2024):
    ds, tables = october_2024
    vi, en = Report(ds, 2024, "vi", tables, period="2024-10"), Report(ds, 2024, "en", tables,
                                                                     period="2024-10")
    assert vi.rank_sentence(row(tables, "33")) == \
        "Hưng Yên xếp thứ 5/63 với 87,69 điểm, tăng 10,85 điểm so với tháng trước."
    assert en.rank_sentence(row(tables, "33")) == \
        "Hung Yen ranked 5th of 63 with 87.69 points, up 10.85 points on the previous month."
    assert vi.rank_sentence(row(tables, "06")) == \
        "Bắc Kạn xếp thứ 22/63 với 82,58 điểm, tăng 13,09 điểm so với tháng trước."
    assert en.rank_sentence(row(tables, "06")) == \
        "Bac Kan ranked 22nd of 63 with 82.58 points, up 13.09 points on the previous month."
    n = int(row(tables, "m_bhxh")["n_ranked"])
    assert vi.rank_sentence(row(tables, "m_bhxh")) == \
        f"Bảo hiểm xã hội Việt Nam xếp thứ 2/{n} với 79,45 điểm, tăng 14,70 điểm so với tháng trước."
    assert en.rank_sentence(row(tables, "m_bhxh")) == \
        f"Vietnam Social Security ranked 2nd of {n} with 79.45 points, up 14.70 points on the previous month."
    # the largest risers of each group are among the key findings, each said why it is named
    findings = vi.findings()
    roles = ("Tăng điểm nhiều nhất: ", "Dẫn đầu (trong các đơn vị có từ 30 hồ sơ): ")
    for unit in ("33", "06", "m_bhxh"):
        assert any(role + vi.rank_sentence(row(tables, unit)) in findings for role in roles), unit


def test_profile_against_national_averages(october_2024):
    ds, tables = october_2024
    assert Report(ds, 2024, "vi", tables, period="2024-10").unit_profile("42") == (
        "Hà Tĩnh: hồ sơ nộp trực tuyến 57,01% (bình quân cả nước 38,26%); thanh toán trực tuyến "
        "34,37% (bình quân cả nước 27,08%); mức độ hài lòng 94,44%; xếp thứ 27/63 cả nước và "
        "thứ 2 trong vùng.")
    assert Report(ds, 2024, "en", tables, period="2024-10").unit_profile("42") == (
        "Ha Tinh: submitted online 57.01% (national average 38.26%); paid online 34.37% "
        "(national average 27.08%); satisfaction 94.44%; ranked 27th of 63 nationally and 2nd "
        "in its region.")


def test_july_2025_compared_on_34_provinces(demo):
    ds = load_dataset(demo)
    tables = compute_results(ds, 2025, period="2025-07")
    s = tables["service_index"]
    provinces = s[s["group"] == "province"]
    assert len(provinces) == 34 and set(provinces["n_ranked"]) == {34}
    assert (provinces["prev_basis"] == "recomputed_from_records").sum() == 23
    assert provinces["rank_prev"].notna().all() and provinces["points_change"].notna().all()
    for lang, words in (("vi", ("tháng 6/2025", "23 đơn vị")), ("en", ("June 2025", "23 units"))):
        report = Report(ds, 2025, lang, tables, period="2025-07")
        html = report.render("service_quality").data
        assert all(w in html for w in words), (lang, words)
        assert any(words[0] in f and words[1] in f for f in report.findings())
    june = compute_results(ds, 2025, period="2025-06")["service_index"]
    assert (june["group"] == "province").sum() == 63


def test_validate_lists_dossiers_left_out_and_bad_months(demo, tmp_path, capsys):
    import shutil

    from analysis import cli
    folder = tmp_path / "d"
    shutil.copytree(demo, folder, ignore=shutil.ignore_patterns("dossiers"))
    header = ("unit_id,procedure,received_at,due_at,resolved_at,online,fee,paid_online,"
              "digitised,published,rating,complaint\n")
    (folder / "dossiers.csv").write_text(
        header + "01,p,2025-03-02,2025-03-09,2025-03-04,1,1,1,1,1,satisfied,0\n"
                 "01,p,2025-03-02,,,2,0,,0,1,,0\n"              # a 0/1 column holding 2
                 "XX,p,2025-03-02,,,1,0,,0,1,,0\n", encoding="utf-8")   # unknown unit
    assert cli.main(["validate", "--data", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "1 dossiers count, 2025-03 to 2025-03, 2 left out" in out
    assert "bad_flag: 1" in out and "unknown_unit: 1" in out
    units = (folder / "units.csv").read_text(encoding="utf-8")
    (folder / "units.csv").write_text(units.replace(",2025-06\n", ",2025-13\n", 1), encoding="utf-8")
    assert cli.main(["validate", "--data", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "valid_to_month" in err and "'2025-13' is not a month" in err


def test_the_headline_leader_has_enough_dossiers_to_be_named():
    """demo-dossiers 2025-07: Bộ Xây dựng ranks first on 26 dossiers, under the minimum of 30
    below which the report names no unit; the cover's headline named it all the same. It now
    names the first unit with enough dossiers and says so."""
    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "demo-dossiers")
    tables = compute_results(ds, 2025, period="2025-07")
    s = tables["service_index"]
    ministries = s[(s["group"] == s["group"].iloc[0]) & s["rank"].notna()].sort_values("rank")
    first, eligible = ministries.iloc[0], ministries[ministries["eligible"].astype(str).str.lower() == "true"]
    assert str(first["eligible"]).lower() == "false" and first["n_received"] < 30  # the case at hand
    for lang in ("vi", "en"):
        report = Report(ds, 2025, lang, tables, period="2025-07")
        headlines, _ = report.service_headlines()
        text = " ".join(what for _, what in headlines)
        assert report.name(first["unit_id"]) not in text
        assert report.name(eligible["unit_id"].iloc[0]) in text
        assert ("từ 30 hồ sơ" if lang == "vi" else "30 or more dossiers") in text


def test_every_figure_caption_is_whole_sentences():
    """demo-dossiers 2025-07: a group chart's caption ran into the next sentence without a full
    stop ("…: Tỉnh, thành phố trực thuộc Trung ương Biểu đồ thể hiện…")."""
    import html
    import re

    from analysis.publication.report import SECTIONS
    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "demo-dossiers")
    tables = compute_results(ds, 2025, period="2025-07")
    for lang in ("vi", "en"):
        report = Report(ds, 2025, lang, tables, period="2025-07")
        page = "".join(report.render(s).data for s in SECTIONS)
        captions = [re.sub(r"<[^>]+>", "", html.unescape(c)).strip()
                    for c in re.findall(r"<figcaption[^>]*>(.*?)</figcaption>", page, re.S)]
        assert len(captions) >= 3, lang
        for caption in captions:
            assert caption.endswith((".", ")")), (lang, caption)
            assert not re.search(r"[^.:)\s] (Biểu đồ|The chart)", caption), (lang, caption)


def test_a_unit_without_a_regional_rank_is_explained_under_the_table():
    """demo-dossiers 2025-07: seven provinces merged across regions have no region, shown "–"
    in the regional-rank column; the table's caption names them and says why."""
    ds = load_dataset(Path(__file__).resolve().parents[1] / "data" / "demo-dossiers")
    tables = compute_results(ds, 2025, period="2025-07")
    s = tables["service_index"]
    missing = s[(s["group"] == "province") & s["rank"].notna() & s["rank_region"].isna()]
    assert len(missing) == 7
    for lang, words in (("vi", "7 đơn vị"), ("en", "7 units")):
        report = Report(ds, 2025, lang, tables, period="2025-07")
        page = report.render("service_quality").data
        assert words in page and all(report.name(u) in page for u in missing["unit_id"]), lang
