"""Every visible string of the report, looked up by a stable key in `catalog.yaml` (VI and EN)."""
from __future__ import annotations

import functools
import string
import unicodedata
from importlib.resources import files

import yaml

from analysis.inputs.errors import InputError, Problem

LANGS = ("vi", "en")
# what the texts call the dataset's units, one and many, as fields of the catalog's texts
# ({unit_word}, {units_word}, capitalised {Unit_word}, {Units_word}): the catalog's own words,
# unless the dataset names them (dataset.yaml `unit_words`: PAPI's "province" / "địa phương")
UNIT_WORDS = {"vi": ("đơn vị", "đơn vị"), "en": ("unit", "units")}
NOUN_FIELDS = frozenset({"unit_word", "units_word", "Unit_word", "Units_word"})

_used: set[str] = set()


def _capital(word: str) -> str:
    return word[:1].upper() + word[1:]


def noun_fields(one: str, many: str) -> dict[str, str]:
    """The noun fields of the catalog's texts for a unit called `one`, units called `many`."""
    return {"unit_word": one, "units_word": many, "Unit_word": _capital(one),
            "Units_word": _capital(many)}


NOUNS = {lang: noun_fields(*words) for lang, words in UNIT_WORDS.items()}


def _fields(template: str) -> set[str]:
    """The named fields of a str.format template."""
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


@functools.cache
def load_catalog() -> dict[str, dict[str, str]]:
    """The catalog as {key: {lang: template}}, NFC-normalised and checked (cached; do not modify).

    Raises ValueError naming the key when a language is missing, empty or unknown, or when the
    languages of a key use different fields or a field that is not a plain name.
    """
    text = files("analysis.publication").joinpath("catalog.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # libyaml: ~10× faster
    catalog: dict[str, dict[str, str]] = {}
    for key, entry in raw.items():
        key = unicodedata.normalize("NFC", str(key))
        if not isinstance(entry, dict):
            raise ValueError(f"catalog.yaml: key {key!r} must map each of {LANGS} to a text")
        unknown = set(entry) - set(LANGS)
        if unknown:
            raise ValueError(f"catalog.yaml: key {key!r} has unknown languages {sorted(unknown, key=str)}")
        texts = {}
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"catalog.yaml: key {key!r} has no {lang!r} text (quote it if it is Yes/No)")
            texts[lang] = unicodedata.normalize("NFC", text)
        fields = {lang: _fields(text) - NOUN_FIELDS for lang, text in texts.items()}
        if fields["vi"] != fields["en"]:
            raise ValueError(f"catalog.yaml: key {key!r} uses fields {sorted(fields['vi'])} in 'vi' "
                             f"but {sorted(fields['en'])} in 'en'")
        bad = sorted(f for f in fields["vi"] if not f.isidentifier())
        if bad:
            raise ValueError(f"catalog.yaml: key {key!r} has fields {bad}; use plain names like {{year}}")
        catalog[key] = texts
    return catalog


def t(key: str, lang: str, wording: dict | None = None, **fields: object) -> str:
    """The text of `key` in `lang` with `fields` filled in, NFC-normalised; records the key as used.
    `wording` (a dataset's, `dataset_wording`) replaces the catalog's text of the keys it holds."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; expected one of {LANGS}")
    catalog = load_catalog()
    if key not in catalog:
        raise KeyError(f"no catalog key {key!r}")
    _used.add(key)
    template = (wording or {}).get(key, catalog[key])[lang]
    try:
        text = template.format(**{**NOUNS[lang], **fields})
    except KeyError as e:
        raise KeyError(f"catalog key {key!r} needs field {e.args[0]!r}") from None
    return unicodedata.normalize("NFC", text)


def used_keys() -> frozenset[str]:
    """The keys `t` has looked up so far in this process."""
    return frozenset(_used)


def dataset_wording(ds) -> dict[str, dict[str, str]]:
    """The dataset's own words for catalog keys: {key: {vi, en}}. From dataset.yaml `wording`
    (extension), e.g. PAPI's "chỉ số nội dung" (dimension) where the catalog says "lĩnh vực
    thành phần" (component, the PAR INDEX's word); each key must be in the catalog, give both
    languages and use no field the catalog's text does not have. With `unit_words` (extension),
    every text that names the units ({unit_word}, … `NOUN_FIELDS`) names them so: PAPI's
    provinces. Else an InputError naming dataset.yaml and the fix."""
    raw = ds.config.raw.get("wording") or {}
    catalog, problems, wording = load_catalog(), [], {}
    nouns = _unit_words(ds.config.raw.get("unit_words"), problems)
    if not isinstance(raw, dict):
        raise InputError([Problem("dataset.yaml", None, "wording", "expected a mapping",
                                  "give each catalog key its texts: key: {vi: …, en: …}")])
    for key, entry in raw.items():
        texts = {lang: unicodedata.normalize("NFC", str(entry.get(lang) or "")).strip()
                 for lang in LANGS} if isinstance(entry, dict) else {}
        if key not in catalog:
            problems.append(Problem("dataset.yaml", None, f"wording.{key}", "not a text of the report",
                                    "use a key of src/analysis/publication/catalog.yaml"))
        elif not all(texts.get(lang) for lang in LANGS):
            problems.append(Problem("dataset.yaml", None, f"wording.{key}", "a language is missing",
                                    "give both texts: {vi: …, en: …}"))
        elif any(not _fields(texts[lang]) - NOUN_FIELDS <= _fields(catalog[key][lang])
                 for lang in LANGS):
            problems.append(Problem("dataset.yaml", None, f"wording.{key}",
                                    "uses a field the report does not fill",
                                    f"use only {sorted(_fields(catalog[key]['vi'])) or 'no fields'}"))
        else:
            wording[key] = texts
    if problems:
        raise InputError(problems)
    if nouns:
        for key, texts in catalog.items():
            texts = wording.get(key, texts)
            if any(_fields(text) & NOUN_FIELDS for text in texts.values()):
                wording[key] = {lang: _named(text, nouns[lang]) for lang, text in texts.items()}
    return wording


def _unit_words(raw, problems: list[Problem]) -> dict[str, dict[str, str]] | None:
    """dataset.yaml `unit_words` as the noun fields of each language: {lang: one word, or
    [one, many]}, e.g. {vi: địa phương, en: [province, provinces]}; None when not given."""
    if raw is None:
        return None
    nouns = {}
    for lang in LANGS:
        words = raw.get(lang) if isinstance(raw, dict) else None
        words = [words] * 2 if isinstance(words, str) else words
        if not (isinstance(words, list) and len(words) == 2
                and all(isinstance(w, str) and w.strip() for w in words)):
            problems.append(Problem("dataset.yaml", None, f"unit_words.{lang}",
                                    "expected the word for one unit, or [one, many]",
                                    "write e.g. en: [province, provinces] and vi: địa phương"))
            continue
        nouns[lang] = noun_fields(*(unicodedata.normalize("NFC", w.strip()) for w in words))
    return nouns if len(nouns) == len(LANGS) else None


def _named(template: str, nouns: dict[str, str]) -> str:
    """`template` with its noun fields filled in and its other fields left for `t`."""
    for field, word in nouns.items():
        template = template.replace("{" + field + "}", word.replace("{", "{{").replace("}", "}}"))
    return template
