import datetime as dt
import unicodedata

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.publication.formatting import (
    fmt_date,
    fmt_int,
    fmt_number,
    fmt_ordinal,
    fmt_p_value,
    fmt_percent,
    fmt_period,
    fmt_points,
    name_list,
    sort_names,
    sort_vi,
    unbroken,
    vi_sort_key,
)


# --- numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("x", "decimals", "vi", "en"), [
    (86.72, 2, "86,72", "86.72"),
    (86.7, 2, "86,70", "86.70"),
    (1234567.891, 2, "1.234.567,89", "1,234,567.89"),
    (-1234.5, 1, "−1.234,5", "−1,234.5"),
    (86.725, 2, "86,73", "86.73"),  # half away from zero on the decimal form
    (0.125, 2, "0,13", "0.13"),
    (-0.125, 2, "−0,13", "−0.13"),
    (-0.001, 2, "0,00", "0.00"),  # no negative zero
    (99.5, 0, "100", "100"),
])
def test_fmt_number(x, decimals, vi, en):
    assert fmt_number(x, "vi", decimals) == vi
    assert fmt_number(x, "en", decimals) == en


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_missing_values_are_a_dash(missing):
    for lang in ("vi", "en"):
        assert fmt_number(missing, lang) == "–"
        assert fmt_percent(missing, lang) == "–"
        assert fmt_points(missing, lang, signed=True) == "–"
        assert fmt_int(missing, lang) == "–"
        assert fmt_p_value(missing, lang) == "–"
    assert fmt_date(pd.NaT, "vi") == "–"


def test_numpy_and_pandas_scalars():
    s = pd.Series([86.72, 39700])
    assert fmt_number(s.iloc[0], "vi") == "86,72"
    assert fmt_int(s.astype("int64").iloc[1], "vi") == "39.700"


@pytest.mark.parametrize(("x", "decimals", "vi", "en"), [
    (86.72, 2, "86,72%", "86.72%"),
    (5, 1, "5,0%", "5.0%"),
    (100, 0, "100%", "100%"),
    (12.345, 2, "12,35%", "12.35%"),
    (1234.5, 1, "1.234,5%", "1,234.5%"),
])
def test_fmt_percent(x, decimals, vi, en):
    assert fmt_percent(x, "vi", decimals) == vi
    assert fmt_percent(x, "en", decimals) == en


@pytest.mark.parametrize(("x", "vi", "en"), [
    (1.2, "+1,20", "+1.20"),
    (-0.93, "−0,93", "−0.93"),
    (0, "0,00", "0.00"),
    (-0.004, "0,00", "0.00"),
    (1234.567, "+1.234,57", "+1,234.57"),
])
def test_fmt_points_signed(x, vi, en):
    assert fmt_points(x, "vi", signed=True) == vi
    assert fmt_points(x, "en", signed=True) == en


def test_fmt_points_unsigned_has_no_plus():
    assert fmt_points(1.2, "vi") == "1,20"
    assert fmt_points(-1.2, "en") == "−1.20"


@pytest.mark.parametrize(("n", "vi", "en"), [
    (39700, "39.700", "39,700"),
    (39700.0, "39.700", "39,700"),
    (999, "999", "999"),
    (-1000000, "−1.000.000", "−1,000,000"),
])
def test_fmt_int(n, vi, en):
    assert fmt_int(n, "vi") == vi
    assert fmt_int(n, "en") == en


def test_fmt_int_refuses_a_fraction():
    with pytest.raises(ValueError, match="whole number"):
        fmt_int(2.5, "vi")


@pytest.mark.parametrize(("d", "vi", "en"), [
    (dt.date(2023, 11, 15), "15/11/2023", "15 November 2023"),
    (dt.date(2024, 3, 5), "05/03/2024", "5 March 2024"),
    (dt.datetime(2024, 1, 9, 23, 59), "09/01/2024", "9 January 2024"),
])
def test_fmt_date(d, vi, en):
    assert fmt_date(d, "vi") == vi
    assert fmt_date(d, "en") == en


@pytest.mark.parametrize(("p", "vi", "en"), [
    (0.0004, "< 0,001", "< 0.001"),
    (0.000999, "< 0,001", "< 0.001"),
    (0.0, "< 0,001", "< 0.001"),
    (0.001, "0,001", "0.001"),
    (0.04249, "0,042", "0.042"),
    (0.0425, "0,043", "0.043"),
    (1.0, "1,000", "1.000"),
])
def test_fmt_p_value(p, vi, en):
    assert fmt_p_value(p, "vi") == vi
    assert fmt_p_value(p, "en") == en


@pytest.mark.parametrize("fn", [fmt_number, fmt_percent, fmt_points, fmt_int, fmt_p_value])
def test_unknown_language_is_refused(fn):
    with pytest.raises(ValueError, match="'fr'"):
        fn(1, "fr")


# --- Vietnamese order ------------------------------------------------------------------------
def test_d_sorts_before_dd():
    names = ["Đồng Tháp", "Điện Biên", "Đắk Lắk", "Dak Lak", "Đà Nẵng", "Đắk Nông", "Đồng Nai"]
    assert sort_vi(names) == ["Dak Lak", "Đà Nẵng", "Đắk Lắk", "Đắk Nông", "Điện Biên",
                              "Đồng Nai", "Đồng Tháp"]


def test_vowel_letters():
    assert sort_vi(["ân", "an", "ăn"]) == ["an", "ăn", "ân"]
    assert sort_vi(["ơ", "ô", "o", "ư", "u", "ê", "e"]) == ["e", "ê", "o", "ô", "ơ", "u", "ư"]


def test_space_before_letters_and_a_before_breve_before_circumflex():
    # "Cà" ends where "Cao" goes on (a shorter syllable first); "Cao" < "Cần" because a < â.
    assert sort_vi(["Cần Thơ", "Cao Bằng", "Cà Mau"]) == ["Cà Mau", "Cao Bằng", "Cần Thơ"]


def test_provinces():
    names = ["Hà Nội", "Hà Giang", "Hải Phòng", "Hải Dương", "Hà Tĩnh", "Hà Nam", "Hòa Bình",
             "Hưng Yên", "Hậu Giang"]
    assert sort_vi(names) == ["Hà Giang", "Hà Nam", "Hà Nội", "Hà Tĩnh", "Hải Dương",
                              "Hải Phòng", "Hậu Giang", "Hòa Bình", "Hưng Yên"]


def test_a_city_is_filed_under_its_name_not_its_title():
    """"TP. Hồ Chí Minh" between Hòa Bình and Hưng Yên (Hồ: h, ô after Hòa's o, before Hưng's
    ư), not among the T provinces; the list still shows the full name; "Thành phố" and "Tỉnh"
    likewise; English order is untouched (Ho Chi Minh City is under H already)."""
    names = ["Thanh Hóa", "TP. Hồ Chí Minh", "Hưng Yên", "Tây Ninh", "Hà Nội", "Thái Bình",
             "Hòa Bình", "Hải Phòng", "Tuyên Quang", "An Giang"]
    assert sort_names(names, "vi") == ["An Giang", "Hà Nội", "Hải Phòng", "Hòa Bình",
                                       "TP. Hồ Chí Minh", "Hưng Yên", "Tây Ninh", "Thái Bình",
                                       "Thanh Hóa", "Tuyên Quang"]
    assert sort_names(["Tỉnh Bắc Ninh", "Thành phố Cần Thơ", "An Giang", "Thái Nguyên"], "vi") == [
        "An Giang", "Tỉnh Bắc Ninh", "Thành phố Cần Thơ", "Thái Nguyên"]
    assert sort_names(["Thai Binh", "Ho Chi Minh City", "ha Noi"], "en") == [
        "ha Noi", "Ho Chi Minh City", "Thai Binh"]


def test_tone_order():
    assert sort_vi(["mạ", "má", "mã", "ma", "mà", "mả"]) == ["ma", "mà", "mả", "mã", "má", "mạ"]


def test_tone_counts_after_letters_of_its_syllable():
    assert sort_vi(["mác", "mạ", "mà", "ma"]) == ["ma", "mà", "mạ", "mác"]
    # dictionary order: a syllable's entries, then the next tone of that syllable
    assert sort_vi(["má", "ma cà rồng", "mà", "ma"]) == ["ma", "ma cà rồng", "mà", "má"]


def test_case_is_ignored_first_then_lower_case_first():
    assert sort_vi(["bắc ninh", "An Giang", "Bạc Liêu"]) == ["An Giang", "Bạc Liêu", "bắc ninh"]
    assert sort_vi(["An", "an"]) == ["an", "An"]


def test_tone_mark_placement_does_not_change_the_letters():
    # old ("Hoà") and new ("Hòa") placement of the tone: equal up to the final tie-break
    assert vi_sort_key("Hoà Bình")[0] == vi_sort_key("Hòa Bình")[0]
    assert sort_vi(["Hoà Bình", "Hoa Lư", "Hòa Bình"])[0] == "Hoa Lư"


def test_nfd_input_sorts_like_nfc():
    names = ["Hưng Yên", "Hà Tĩnh", "Đà Nẵng", "Dak Lak", "Hậu Giang", "Hải Dương"]
    nfd = [unicodedata.normalize("NFD", n) for n in names]
    assert [unicodedata.normalize("NFC", n) for n in sort_vi(nfd)] == sort_vi(names)


_VI_TEXT = st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyAĂÂĐÊÔƠƯ àáảãạằắẳẵặầấẩẫậ-", max_size=20)


@given(_VI_TEXT)
def test_key_is_the_same_for_nfc_and_nfd(s):
    assert vi_sort_key(unicodedata.normalize("NFD", s)) == vi_sort_key(unicodedata.normalize("NFC", s))


@given(_VI_TEXT)
def test_case_only_breaks_ties(s):
    assert vi_sort_key(s.upper())[0] == vi_sort_key(s.lower())[0]


def test_periods_and_ordinals():
    assert fmt_period("2025-07", "vi") == "tháng 7/2025"
    assert fmt_period("2025-07", "en") == "July 2025"
    assert fmt_period("2024", "vi") == "2024" and fmt_period("2024", "en") == "2024"
    assert fmt_period("2024", "vi", spoken=True) == "năm 2024"
    assert fmt_period("2024", "en", spoken=True) == "2024"
    assert [fmt_ordinal(n, "en") for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 27, 111, 112)] == [
        "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd", "27th",
        "111th", "112th"]
    assert fmt_ordinal(27, "vi") == "27"


def test_name_lists_are_said_as_a_sentence_and_cut_after_six():
    names = ["Hà Nội", "Huế", "Đà Nẵng", "Cần Thơ", "Hải Phòng", "Sơn La", "Lào Cai", "Yên Bái"]
    assert name_list(names[:1], "vi") == "Hà Nội"
    assert name_list(names[:2], "vi") == "Hà Nội và Huế"
    assert name_list(names[:3], "en") == "Hà Nội, Huế and Đà Nẵng"
    assert name_list(names[:7], "en") == ", ".join(names[:6]) + " and Lào Cai"   # never "and 1 others"
    assert name_list(names, "vi") == ", ".join(names[:6]) + " và 2 đơn vị khác"
    assert name_list(names, "en") == ", ".join(names[:6]) + " and 2 others"


def test_titles_keep_their_units_on_one_line():
    """No-break spaces: the last two words of a title, and in Vietnamese "năm 2024", "cấp tỉnh",
    "tháng 7/2025", "giai đoạn 2011–2024", "ngang bộ"; a word joiner after the dash of a span and
    the hyphen or slash of a code; nothing else."""
    nbsp = "\u00a0"
    title = "Báo cáo Chỉ số Hiệu quả Quản trị và Hành chính công cấp tỉnh (PAPI) năm 2024"
    kept = unbroken(title, "vi")
    assert kept.replace(nbsp, " ") == title
    assert kept.endswith(f"công cấp{nbsp}tỉnh (PAPI) năm{nbsp}2024") and kept.count(nbsp) == 2
    assert unbroken("PAPI: giai đoạn 2011–2024", "vi") == f"PAPI: giai{nbsp}đoạn{nbsp}2011–\u20602024"
    assert unbroken("PAPI: the 2011–2024 series", "en") == f"PAPI: the 2011–\u20602024{nbsp}series"
    assert unbroken("Báo cáo X tháng 7/2025", "vi") == f"Báo cáo X tháng{nbsp}7/\u20602025"
    assert unbroken("Index (PAPI): 2024 report", "en") == f"Index (PAPI): 2024{nbsp}report"
    # a month never apart from its year ("December" / "2025 report" on the demo's cover)
    assert unbroken("Service quality (synthetic data): December 2025 report", "en") == (
        f"Service quality (synthetic data): December{nbsp}2025{nbsp}report")
    assert unbroken("Báo cáo chất lượng (dữ liệu giả lập) tháng 12/2025", "vi") == (
        f"Báo cáo chất lượng (dữ liệu giả lập) tháng{nbsp}12/\u20602025")
    assert unbroken("PAPI", "en") == "PAPI"
    assert unbroken("cơ quan ngang bộ theo Quyết định 766/QĐ-TTg", "vi") == (
        f"cơ quan ngang{nbsp}bộ theo Quyết định{nbsp}766/\u2060QĐ-\u2060TTg")


def test_an_interval_with_a_negative_bound_reads_to_not_dash():
    """A dash between two minus signs reads as a subtraction ("−0.592 – −0.215"): such an
    interval is written with "to" / "đến"; a positive one keeps the en dash."""
    from analysis.publication.formatting import fmt_span
    assert fmt_span("−0,592", "−0,215", "vi") == "−0,592 đến −0,215"
    assert fmt_span("−1.09", "0.93", "en") == "−1.09 to 0.93"
    assert fmt_span("0,48", "1,29", "vi") == "0,48 – 1,29"
    assert fmt_span("0,48", "1,29", "vi", words=True) == "0,48 đến 1,29"  # beside a negative one
    assert fmt_span("3,99", "5,55", "vi") == "3,99 – 5,55"


def test_a_vietnamese_header_keeps_its_words_and_its_last_two_syllables_together():
    """A narrow column broke "Tỷ lệ so với tối đa" as "… tối / đa", "Thay đổi thứ hạng" as
    "… thứ / hạng" (review 5) and "Giá trị p" as "Giá / trị p" (review 6): the two syllables of
    the report's two-syllable words (tỷ lệ, tối đa, giá trị, tin cậy, địa phương …) and the last
    two syllables of a Vietnamese header of three or more are joined by no-break spaces; a unit
    in brackets may still go on a line of its own, and English headers are left as they are."""
    from analysis.publication.formatting import header_lines
    nbsp = "\u00a0"
    assert header_lines("Tỷ lệ so với tối đa", "vi") == f"Tỷ{nbsp}lệ so với tối{nbsp}đa"
    assert header_lines("Số đơn vị cuối bảng", "vi") == f"Số đơn vị cuối{nbsp}bảng"
    assert header_lines("Thay đổi thứ hạng", "vi") == f"Thay đổi thứ{nbsp}hạng"   # a word: no more
    assert header_lines("Giá trị p", "vi") == f"Giá{nbsp}trị p"
    assert header_lines("Khoảng tin cậy 95%", "vi") == f"Khoảng tin{nbsp}cậy{nbsp}95%"
    assert header_lines("Điểm PAPI (8–80)", "vi") == "Điểm PAPI (8–80)"
    assert header_lines("Xếp hạng", "vi") == "Xếp hạng"
    assert header_lines("Share of the maximum", "en") == "Share of the maximum"
