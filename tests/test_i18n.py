import unicodedata

import pytest

from analysis.publication import i18n
from analysis.publication.i18n import LANGS, load_catalog, t, used_keys

# Every column of the result tables in CONTRACT.md; name_vi/name_en share col.name and
# band/band_vi share col.band.
CONTRACT_COLUMNS = """
unit_id name group region score rank rank_in_group rank_in_region band score_prev change rank_prev
scope key n_units mean median sd min max
n_valid n_satisfied p ci_low ci_high
p_prev diff p_value p_adjusted significant
metric k leader_unit laggard_unit leader_value laggard_value top_mean bottom_mean gap gap_ci_low
gap_ci_high welch_p mannwhitney_p cliffs_delta gap_prev gap_change gap_change_ci_low
gap_change_ci_high gap_change_p
test statistic effect n
p0 lower95 upper95 lower998 upper998 outside
rank_low rank_high
file row reason ballot_id
published computed difference matches
""".split()
REASONS = ["unknown_unit", "outside_validity", "duplicate_ballot", "no_answer",
           "answer_out_of_scale", "missing_year", "missing_points"]


def test_catalog_has_both_languages_in_nfc():
    catalog = load_catalog()
    for key, texts in catalog.items():
        assert set(texts) == set(LANGS), key
        for text in texts.values():
            assert unicodedata.is_normalized("NFC", text), key


@pytest.mark.parametrize("key", [f"col.{c}" for c in CONTRACT_COLUMNS]
                         + [f"reason.{r}" for r in REASONS])
def test_catalog_covers_contract_columns_and_reasons(key):
    assert key in load_catalog()


@pytest.mark.parametrize(("key", "fields", "vi", "en"), [
    ("section.summary", {}, "Những điểm chính", "Key findings"),
    ("report.title", {"title": "PAR INDEX", "year": 2023},
     "Báo cáo PAR INDEX năm 2023", "PAR INDEX: 2023 report"),
    ("report.page_of", {"page": 3, "pages": 12}, "Trang 3 / 12", "Page 3 of 12"),
    ("report.synthetic_banner", {},
     "DỮ LIỆU TỔNG HỢP (GIẢ LẬP) — không phải số liệu chính thức",
     "SYNTHETIC DATA — not official figures"),
    ("word.yes", {}, "Có", "Yes"),
    ("word.no", {}, "Không", "No"),
    ("finding.mean",
     {"year": 2023, "index_name": "PAR INDEX", "n": 63, "mean": "84,28", "direction": "tăng",
      "change": "1,20 điểm", "prev_year": 2022},
     "Năm 2023, chỉ số PAR INDEX trung bình của 63 đơn vị đạt 84,28, tăng 1,20 điểm so với năm 2022.",
     "In 2023 the average PAR INDEX of the 63 units was 84,28, tăng 1,20 điểm from 2022."),
    ("finding.bands", {"count": 5, "band": "Tốt"}, "5 đơn vị được xếp loại Tốt.", "Units rated Tốt: 5."),
])
def test_t_fills_fields(key, fields, vi, en):
    assert t(key, "vi", **fields) == vi
    assert t(key, "en", **fields) == en


def test_t_result_is_nfc_even_for_nfd_fields():
    nfd = unicodedata.normalize("NFD", "Hải Phòng")
    text = t("finding.leader", "vi", unit=nfd, score="91,27%")
    assert text == "Hải Phòng là đơn vị dẫn đầu với kết quả 91,27%."
    assert unicodedata.is_normalized("NFC", text)


def test_unknown_key_names_it():
    with pytest.raises(KeyError, match="section.nope"):
        t("section.nope", "vi")
    assert "section.nope" not in used_keys()


def test_missing_field_names_key_and_field():
    with pytest.raises(KeyError, match=r"report\.title.*'year'"):
        t("report.title", "en", title="PAR INDEX")


def test_unknown_language():
    with pytest.raises(ValueError, match="'fr'"):
        t("section.summary", "fr")


def test_used_keys_records_lookups():
    t("report.toc", "en")
    keys = used_keys()
    assert "report.toc" in keys
    with pytest.raises(AttributeError):
        keys.add("x")  # a snapshot, not the live set


@pytest.fixture
def catalog_file(tmp_path, monkeypatch):
    """Point load_catalog at a catalog.yaml written by the test."""
    monkeypatch.setattr(i18n, "files", lambda package: tmp_path)
    load_catalog.cache_clear()
    yield tmp_path / "catalog.yaml"
    load_catalog.cache_clear()


@pytest.mark.parametrize(("text", "message"), [
    ('a.b:\n  vi: "Có"\n', r"'a\.b' has no 'en' text"),
    ('a.b:\n  vi: "Có"\n  en: Yes\n', r"'a\.b' has no 'en' text"),  # bare Yes is a boolean
    ('a.b:\n  vi: "Có"\n  en: "Yes"\n  fr: "Oui"\n', r"'a\.b' has unknown languages \['fr'\]"),
    ('a.b:\n  vi: "Năm {year}"\n  en: "Year {yaer}"\n', r"'a\.b' uses fields \['year'\] in 'vi'"),
    ('a.b:\n  vi: "{0}"\n  en: "{0}"\n', r"'a\.b' has fields \['0'\]"),
    ('a.b: "text"\n', r"'a\.b' must map"),
])
def test_bad_catalog_is_refused_naming_the_key(catalog_file, text, message):
    catalog_file.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_catalog()


def test_catalog_strings_are_normalised(catalog_file):
    catalog_file.write_text(unicodedata.normalize("NFD", 'a.b:\n  vi: "Hà Nội"\n  en: "Hanoi"\n'),
                            encoding="utf-8")
    assert load_catalog()["a.b"]["vi"] == "Hà Nội"
    assert unicodedata.is_normalized("NFC", load_catalog()["a.b"]["vi"])
