"""Numbers, percents, dates and p-values for each edition, and Vietnamese alphabetical order.

Formats come from Babel's CLDR data for an explicit locale, never the machine's: "vi" writes
86,72 and 39.700 (decimal comma, "." grouping), "en" writes 86.72 and 39,700. Values are rounded
half away from zero on their shortest decimal form (86.725 → 86,73), as a reader rounds by hand;
a value that rounds to zero is written without a sign. Negative numbers use the one true minus
sign "−" (U+2212, typographic usage in both languages; CLDR's "-" is the hyphen), and signed
changes use CLDR's "+". A missing value (None, NaN, NA) is written "–" (en dash).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal, localcontext

import pandas as pd
from babel.dates import format_date, get_month_names
from babel.numbers import NumberPattern, format_decimal, format_percent, get_plus_sign_symbol, parse_pattern

from analysis.publication.i18n import LANGS, t

MISSING = "–"
MINUS = "\u2212"
_DATE_PATTERNS = {"vi": "dd/MM/yyyy", "en": "d MMMM y"}  # 15/11/2023, 15 November 2023
_P_FLOOR = Decimal("0.001")


def _locale(lang: str) -> str:
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    return lang


@functools.cache
def _pattern(decimals: int, suffix: str = "") -> NumberPattern:
    """A CLDR pattern with grouping and exactly `decimals` decimals ("#,##0.00"), parsed once
    (Babel parses a pattern given as text at every call: a tenth of a report's sections)."""
    return parse_pattern("#,##0" + ("." + "0" * decimals if decimals > 0 else "") + suffix)


def _rounded(x: object, decimals: int) -> Decimal | None:
    """`x` rounded half away from zero to `decimals` places (no negative zero); None when missing."""
    if pd.isna(x):
        return None
    d = Decimal(str(x))
    if d.is_finite():
        with localcontext(rounding=ROUND_HALF_UP):
            d = round(d, decimals)
        if not d:
            d = abs(d)
    return d


def fmt_number(x: object, lang: str, decimals: int = 2) -> str:
    """86.72 → "86,72" (vi) / "86.72" (en)."""
    return fmt_points(x, lang, decimals)


def fmt_points(x: object, lang: str, decimals: int = 2, signed: bool = False) -> str:
    """Index points; with `signed`, a change: 1.2 → "+1,20", -0.93 → "-0,93", 0 → "0,00"."""
    locale = _locale(lang)
    d = _rounded(x, decimals)
    if d is None:
        return MISSING
    text = format_decimal(d, format=_pattern(decimals), locale=locale).replace("-", MINUS)
    if signed and d > 0:
        return get_plus_sign_symbol(locale) + text
    return text


def fmt_percent(value_in_percent: object, lang: str, decimals: int = 2) -> str:
    """A value already in percent: 86.72 → "86,72%" / "86.72%".

    CLDR's percent pattern is "#,##0%" for both vi and en (no space before "%"), which is also
    Vietnamese press usage; only the number of decimals is set here.
    """
    locale = _locale(lang)
    d = _rounded(value_in_percent, decimals)
    if d is None:
        return MISSING
    return format_percent(d.scaleb(-2), format=_pattern(decimals, "%"), locale=locale).replace("-", MINUS)


def fmt_int(n: object, lang: str) -> str:
    """A whole number: 39700 → "39.700" / "39,700"; raises ValueError for a fraction."""
    locale = _locale(lang)
    if pd.isna(n):
        return MISSING
    d = Decimal(str(n))
    if d != d.to_integral_value():
        raise ValueError(f"fmt_int needs a whole number, got {n!r}")
    return format_decimal(d, format=_pattern(0), locale=locale).replace("-", MINUS)


def fmt_date(d: dt.date | None, lang: str) -> str:
    """15 Nov 2023 → "15/11/2023" (vi) / "15 November 2023" (en)."""
    locale = _locale(lang)
    if pd.isna(d):
        return MISSING
    return format_date(d, _DATE_PATTERNS[lang], locale=locale)


def fmt_period(period: object, lang: str, spoken: bool = False) -> str:
    """A period: a year as it is ("2025"; in a Vietnamese sentence, `spoken`, "năm 2025"); a
    month "2025-07" → "tháng 7/2025" (vi, the form of Vietnamese official documents) /
    "October 2025" (en, Babel's "MMMM y")."""
    text = str(period)
    if len(text) == 4:
        return f"năm {text}" if spoken and lang == "vi" else text
    month = dt.date(int(text[:4]), int(text[5:7]), 1)
    if lang == "vi":
        return f"tháng {month.month}/{month.year}"
    return format_date(month, "MMMM y", locale=_locale(lang))


def fmt_ordinal(n: object, lang: str) -> str:
    """A rank as said in a sentence: "5" (vi, "thứ 5") / "5th" (en)."""
    n = int(n)
    if lang == "vi":
        return str(n)
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_p_value(p: object, lang: str) -> str:
    """Three decimals ("0,042"), or "< 0,001" / "< 0.001" below 0.001."""
    _locale(lang)
    if not pd.isna(p) and Decimal(str(p)) < _P_FLOOR:
        return "< " + fmt_number(_P_FLOOR, lang, 3)
    return fmt_number(p, lang, 3)


def fmt_span(low: str, high: str, lang: str, words: bool = False) -> str:
    """An interval from two formatted bounds: "3,99 – 5,55"; with a negative bound, "−0,592 đến
    −0,215" / "−0.592 to −0.215", since a dash between two minus signs reads as a subtraction;
    with `words`, always so (a column of intervals some of which are negative)."""
    if words or low.startswith("−") or high.startswith("−"):
        return t("word.span_to", lang, low=low, high=high)
    return f"{low} – {high}"


# --- Vietnamese alphabetical order -----------------------------------------------------------
# Hand-written because ICU's collator (PyICU), which has a Vietnamese tailoring, needs the system
# ICU library and a compiler to install, and Babel has no collation. The order is that of
# Vietnamese dictionaries (e.g. Hoàng Phê (ed.), Từ điển tiếng Việt, Viện Ngôn ngữ học):
# - letters in the alphabet's order, where ă â đ ê ô ơ ư are letters of their own; the foreign
#   letters f j w z sit where they do in the Latin alphabet;
# - the syllable is the unit: its letters are compared first, then its tone, in the order
#   none < huyền (grave) < hỏi (hook) < ngã (tilde) < sắc (acute) < nặng (dot below), and only
#   then the next syllable ("ma" < "ma cà rồng" < "mà" < "má");
# - spaces, punctuation and digits sort before letters, by code point;
# - case is ignored until everything else is equal; then lower case comes first.
_ALPHABET = "a ă â b c d đ e ê f g h i j k l m n o ô ơ p q r s t u ư v w x y z".split()
_LETTER_RANK = {unicodedata.normalize("NFD", letter): i for i, letter in enumerate(_ALPHABET)}
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vi_sort_key(s: str) -> tuple:
    """A key giving Vietnamese alphabetical order; NFC and NFD spellings of `s` get the same key.

    Combining marks of a letter other than tones and the vowel marks of ă â ê ô ơ ư are ignored;
    letters outside the alphabet sort after it, by code point.
    """
    nfc = unicodedata.normalize("NFC", s)
    clusters: list[list[str]] = []  # a base character and its combining marks
    for ch in unicodedata.normalize("NFD", nfc.casefold()):
        if unicodedata.combining(ch) and clusters:
            clusters[-1].append(ch)
        else:
            clusters.append([ch])
    tokens: list[tuple] = []
    letters: list[int] = []
    tones: list[int] = []
    for base, *marks in clusters:
        if base.isalpha():
            vowel = base + "".join(m for m in marks if m not in _TONE_RANK)
            rank = _LETTER_RANK.get(vowel, _LETTER_RANK.get(base, len(_ALPHABET) + ord(base)))
            letters.append(rank)
            tones.extend(_TONE_RANK[m] for m in marks if m in _TONE_RANK)
            continue
        if letters:
            tokens.append((1, tuple(letters), tuple(tones)))
            letters, tones = [], []
        tokens.append((0, ord(base)))
    if letters:
        tokens.append((1, tuple(letters), tuple(tones)))
    return tuple(tokens), tuple(ch.isupper() for ch in nfc), nfc


def sort_vi(strings: Iterable[str]) -> list[str]:
    """`strings` in Vietnamese alphabetical order (see `vi_sort_key`)."""
    return sorted(strings, key=vi_sort_key)


# A unit's administrative title before its name: a reader looks "TP. Hồ Chí Minh" up under H,
# by its name, not under T with "Thái Bình" and "Thanh Hóa".
_VI_ADMIN_PREFIX = re.compile(r"^(?:TP\.\s*|(?:Thành phố|Tỉnh)\s+)", re.IGNORECASE)


def name_sort_key(name: str, lang: str) -> tuple:
    """A unit's name as an alphabetical list files it: in Vietnamese by `vi_sort_key` of the
    name without a leading "TP.", "Thành phố" or "Tỉnh" (then of the full name, so the order is
    total); in English case-insensitively."""
    if lang != "vi":
        return name.casefold(), name
    nfc = unicodedata.normalize("NFC", name)
    return vi_sort_key(_VI_ADMIN_PREFIX.sub("", nfc)), vi_sort_key(nfc)


def sort_names(names: Iterable[str], lang: str) -> list[str]:
    """Unit names in the edition's alphabetical order (`name_sort_key`)."""
    return sorted(names, key=lambda n: name_sort_key(n, lang))


def edition_title(config, lang: str, period: str) -> str:
    """The edition's title: "Báo cáo … năm 2025" / "…: 2025 report", or of a month."""
    key = "report.title" if len(str(period)) == 4 else "report.title_month"
    return t(key, lang, title=config.title(lang), year=period, period=fmt_period(period, lang))


def running_title(config, lang: str, period: str, wording: dict | None = None,
                  independent: bool = False) -> str:
    """The PDF's running header, short enough for one line: the dataset's `index_name_<lang>`
    and the period ("Báo cáo PAPI năm 2024" / "PAPI 2024 report"; "PAPI năm 2024: phân tích độc
    lập" / "PAPI 2024: independent analysis" for a report prepared by others than the index's
    authority, as its cover says); without a short name, the edition's title. `wording`: the
    dataset's own texts (i18n.dataset_wording)."""
    name = config.raw.get(f"index_name_{lang}")
    if not name:
        return edition_title(config, lang, period)
    key = "report.running_title_independent" if independent else "report.running_title"
    return t(key, lang, wording, name=name, period=fmt_period(period, lang, spoken=True))


NBSP, WORD_JOINER = "\u00a0", "\u2060"
# Vietnamese words read as one with the word after them; a line break between would split
# "năm 2024", "tháng 7/2025", "cấp tỉnh", "giai đoạn 2011–2024", "cơ quan ngang bộ".
_VI_BOUND = re.compile(r"(?<!\S)(năm|tháng|cấp|giai|đoạn|ngang) (?=\S)", re.IGNORECASE)
# An English month name before its year ("December 2025", as `fmt_period` writes a month).
_EN_MONTH = re.compile(r"\b(" + "|".join(get_month_names("wide", locale="en").values()) + r") (?=\d{4}\b)")


def unbroken(title: str, lang: str) -> str:
    """A title as it may break across lines: its last word never alone on a line (a no-break
    space before it), a span of years or a code never broken after its dash, hyphen or slash
    ("2011–" / "2024", "766/" / "QĐ-TTg": a word joiner after it), a month kept with its year
    ("December 2025"; "tháng 12/2025" by the two rules before and after), and in Vietnamese
    "năm", "tháng", "cấp", "giai đoạn", "ngang" kept with the word after them (no-break spaces)."""
    head, space, last = title.rpartition(" ")
    title = re.sub(r"(?<=\S)([–/-])(?=\S)", "\\1" + WORD_JOINER, head + NBSP + last if space else title)
    return _VI_BOUND.sub("\\1" + NBSP, title) if lang == "vi" else _EN_MONTH.sub("\\1" + NBSP, title)


# Vietnamese words of two syllables that the report's headers and chart labels use, each kept
# on one line ("Giá / trị p", "địa / phương" read as two words)
_VI_WORDS = re.compile(r"(?<!\S)(địa|giá|tin|ước|thống|thứ|tối|tỷ|trung|miền|cỡ|thành) "
                       r"(?=(phương|trị|cậy|lượng|kê|hạng|đa|lệ|bình|Trung|mẫu|phố)(?!\S))", re.IGNORECASE)


def vi_words(text: str) -> str:
    """`text` with the two syllables of each Vietnamese word of `_VI_WORDS` joined by a
    no-break space, so that a line never breaks inside the word."""
    return _VI_WORDS.sub("\\1" + NBSP, text)


def header_lines(header: str, lang: str) -> str:
    """A column header as it may wrap: in Vietnamese, whose words are written syllable by
    syllable, the words of `_VI_WORDS` and the last two syllables of a header of three or more
    kept together (no-break spaces), so that a narrow column never leaves part of a word alone
    ("Tỷ lệ so với tối / đa", "Thay đổi thứ / hạng", "Giá / trị p"); a unit in brackets at the
    end may still take a line of its own ("Điểm PAPI / (8–80)")."""
    if lang != "vi":
        return header
    header = vi_words(header)
    head, space, last = header.rpartition(" ")
    if not space or " " not in head or last.startswith("(") or NBSP in last:   # or a word of two
        return header
    return head + NBSP + last


def name_list(names: Iterable[str], lang: str, wording: dict | None = None, limit: int = 6) -> str:
    """Names in a sentence: "A, B và C" / "A, B and C"; more than `limit` + 1 names: the first
    `limit` and "và 3 đơn vị khác" / "and 3 others". `wording`: as `running_title`."""
    names = list(names)
    if len(names) > limit + 1:
        return t("list.others", lang, wording, names=", ".join(names[:limit]),
                 n=fmt_int(len(names) - limit, lang))
    if len(names) < 2:
        return "".join(names)
    return t("list.and", lang, wording, names=", ".join(names[:-1]), last=names[-1])


def mid_sentence(label: str, lang: str) -> str:
    """A label written as a heading ("Điểm PAPI (8–80)") as it reads inside a Vietnamese
    sentence ("điểm PAPI (8–80)"); English keeps its capitals (names, "PAPI score")."""
    return label[:1].lower() + label[1:] if lang == "vi" else label


def unaccented(s: str) -> str:
    """`s` without Vietnamese marks: combining marks dropped (NFD), Đ/đ written D/d."""
    base = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in base if not unicodedata.combining(ch))


def ascii_codes(codes: list[str], names: list[str]) -> list[str]:
    """Short codes for an English edition (review item 12: "ĐNô" beside "Dak Nong"), unique when
    `codes` are: each code unaccented; a code already unaccented keeps its spelling, and an
    unaccented code that would then repeat another (BĐ, Bình Định → BD, Bình Dương's) is
    lengthened by the next letters of the last word of its unit's name in `names` ("Binh Dinh":
    BDi), else numbered (BD2 …). Codes are settled in sorted order of the original codes, so
    the result does not depend on the order of the rows."""
    taken = {c for c in codes if unaccented(c) == c}
    out = {c: c for c in taken}
    for code, name in sorted(zip(codes, names)):
        if code in out:
            continue
        base = unaccented(code)
        tail = unaccented(name).split()[-1][1:].lower() if name.split() else ""
        candidates = [base + tail[:k] for k in range(len(tail) + 1)]
        candidates += [f"{base}{k}" for k in range(2, len(codes) + 2)]
        out[code] = next(c for c in candidates if c not in taken)
        taken.add(out[code])
    return [out[c] for c in codes]
