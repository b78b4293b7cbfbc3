"""Every visible string of the report, looked up by a stable key in `catalog.yaml` (VI and EN)."""
from __future__ import annotations

import functools
import string
import unicodedata
from importlib.resources import files

import yaml

from analysis.inputs.errors import InputError, Problem

LANGS = ("vi", "en")

_used: set[str] = set()


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
        fields = {lang: _fields(text) for lang, text in texts.items()}
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
        text = template.format(**fields)
    except KeyError as e:
        raise KeyError(f"catalog key {key!r} needs field {e.args[0]!r}") from None
    return unicodedata.normalize("NFC", text)


def used_keys() -> frozenset[str]:
    """The keys `t` has looked up so far in this process."""
    return frozenset(_used)


def dataset_wording(ds) -> dict[str, dict[str, str]]:
    """The dataset's own words for catalog keys (dataset.yaml `wording`, extension): {key: {vi,
    en}}, e.g. PAPI's "chỉ số nội dung" (dimension) where the catalog says "lĩnh vực thành phần"
    (component, the PAR INDEX's word). Each key must be in the catalog, give both languages and
    use no field the catalog's text does not have; else an InputError naming dataset.yaml."""
    raw = ds.config.raw.get("wording") or {}
    catalog, problems, wording = load_catalog(), [], {}
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
        elif any(not _fields(texts[lang]) <= _fields(catalog[key][lang]) for lang in LANGS):
            problems.append(Problem("dataset.yaml", None, f"wording.{key}",
                                    "uses a field the report does not fill",
                                    f"use only {sorted(_fields(catalog[key]['vi'])) or 'no fields'}"))
        else:
            wording[key] = texts
    if problems:
        raise InputError(problems)
    return wording
