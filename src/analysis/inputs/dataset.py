"""A dataset is a folder (data/README.md): load it, check it against the contract, or say why not.

`load_dataset` reads every file present, collects every problem in every file, and raises one
`InputError` listing them all; a dataset that loads is consistent (known units, years inside
their validity, scores within their maxima, counts that add up).
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis.inputs.errors import InputError, Problem
from analysis.inputs.readers import LARGEST, TableReader, find_table, invisible, nfc
from analysis.inputs.service_mapping import COUNTS

DEFAULTS = {"satisfied_answers": [4, 5], "leader_share": 0.25, "alpha": 0.05,
            "bootstrap": 10000, "seed": 0, "synthetic": False}
SCOPES = ("unit", "group", "region", "all")
MAX_BOOTSTRAP = 100_000
BALLOT_FILES = ("ballots.parquet", "ballots.csv", "ballots")
DOSSIER_FILES = ("dossiers.parquet", "dossiers.csv", "dossiers")


@dataclass(frozen=True)
class Config:
    """The dataset's `dataset.yaml`, with the contract's defaults filled in."""

    raw: dict

    def __getattr__(self, key):
        try:   # through __dict__: while unpickling there is no `raw` yet (self.raw would recurse)
            return self.__dict__["raw"][key]
        except KeyError:
            raise AttributeError(key) from None

    @property
    def components(self) -> list[dict]:
        """The components of the latest method version (every year's own: `method(year)`)."""
        return self.versions[-1]["components"]

    @property
    def versions(self) -> list[dict]:
        """The method versions, oldest first (data/README.md, `methodology.versions`): each has
        `id`, `from`, `to` (None = open), `components`, `scale`, `source`, `notes` and
        `subcomponents`. A dataset without versions has one version for every year, built from
        `methodology` and the top-level `scale`."""
        return self.raw["methodology"]["versions"]

    def published_band_sizes(self, year: int, n_scored: int) -> list[int] | None:
        """The band sizes the authority published for `year` (`band_sizes`, data/README.md) when
        they add up to the year's `n_scored` units; otherwise None (the bands' own rule applies)."""
        sizes = self.raw.get("band_sizes", {}).get(int(year))
        return sizes if sizes is not None and sum(sizes) == n_scored else None

    def method(self, year: int | None) -> dict:
        """The method version that covers `year` (the latest one when no version covers it, or
        for a row whose year is missing: that row is refused for its year)."""
        for version in self.versions if year is not None else ():
            if (version["from"] is None or version["from"] <= year) and (
                    version["to"] is None or year <= version["to"]):
                return version
        return self.versions[-1]

    def method_text(self, year: int, key: str, lang: str) -> str | None:
        """The `source` or `notes` of `year`'s method version in `lang` (`source_vi`, else
        `source`), with `{year}` replaced by the year: a 2024 report cites the 2024 source."""
        version = self.method(year)
        text = version.get(f"{key}_{lang}") or version.get(key)
        return text.replace("{year}", str(year)) if isinstance(text, str) else None

    def scale(self, year: int) -> dict | None:
        """The index's own scale in `year` (`min`, `max`, labels), if the dataset declares one."""
        return self.method(year).get("scale")

    def like_for_like(self, year: int, other: int) -> bool:
        """Whether the index of `year` compares with that of `other`: both under one version."""
        return self.method(year)["id"] == self.method(other)["id"]

    @property
    def bands(self) -> list[dict]:
        return self.raw.get("bands") or []

    def title(self, lang: str) -> str:
        return self.raw[f"title_{lang}"]

    def score_source(self, year: int) -> dict | None:
        """Where the scores of `year` were taken from (`score_sources`, an extension): `official`
        (true: the authority's own release) and `label_vi`/`label_en`; None when not recorded."""
        for source in self.raw.get("score_sources") or ():
            if source["from"] <= year and (source.get("to") is None or year <= source["to"]):
                return source
        return None

    def collection_method(self, year: int) -> dict | None:
        """How the survey was collected in `year` (`survey.collection`), if recorded."""
        collection = (self.raw.get("survey") or {}).get("collection") or {}
        return collection.get(year) or collection.get(str(year))


@dataclass
class Dataset:
    root: Path
    config: Config
    units: pd.DataFrame
    groups: pd.DataFrame | None = None
    regions: pd.DataFrame | None = None
    index_scores: pd.DataFrame | None = None
    subcomponent_scores: pd.DataFrame | None = None
    satisfaction: pd.DataFrame | None = None
    published: pd.DataFrame | None = None
    crosswalk: pd.DataFrame | None = None
    tiles: pd.DataFrame | None = None
    ballots_path: Path | None = None
    dossiers_path: Path | None = None
    dossier_counts_path: Path | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.config.name

    def file_name(self, table: str) -> str:
        """The name, relative to the dataset folder, of the file that holds `table`."""
        return next(str(p.relative_to(self.root)) for p in self.files if p.stem == table)

    def years(self) -> list[int]:
        """Every year with index scores or satisfaction counts (ballot years are added by callers
        that scan the ballots)."""
        years: set[int] = set()
        for table in (self.index_scores, self.satisfaction):
            if table is not None:
                years.update(int(y) for y in table["year"].dropna().unique())
        return sorted(years)

    def without_data(self, year: int, present: dict[str, set]) -> pd.DataFrame:
        """Units valid in `year` that have no row in a file that does have rows that year
        (`present`: file name → the unit ids it has that year): year, file, unit_id, name_vi,
        name_en. Nothing disappears silently: validate warns, the audit appendix lists them."""
        valid = self.valid_units(year).drop_duplicates("unit_id")
        rows = [(year, name, u, vi, en) for name, ids in present.items() if ids
                for u, vi, en in zip(valid["unit_id"], valid["name_vi"], valid["name_en"]) if u not in ids]
        return pd.DataFrame(rows, columns=["year", "file", "unit_id", "name_vi", "name_en"])

    def present(self, year: int) -> dict[str, set]:
        """The unit ids each aggregated input file (index scores, satisfaction counts) has in `year`."""
        return {self.file_name(name): set(table.loc[table["year"] == year, "unit_id"])
                for name, table in (("index_scores", self.index_scores), ("satisfaction", self.satisfaction))
                if table is not None}

    def valid_units(self, year: int) -> pd.DataFrame:
        u = self.units
        ok = (u["valid_from"].isna() | (u["valid_from"] <= year)) & (
            u["valid_to"].isna() | (u["valid_to"] >= year))
        return u[ok.astype(bool)]


def load_config(root: Path) -> Config:
    path = root / "dataset.yaml"
    fix_yaml = "see data/README.md for the keys of dataset.yaml"
    if not path.is_file():
        raise InputError([Problem(str(root), None, None, "no dataset.yaml in this folder",
                                  "point --data at a dataset folder (data/README.md)")])
    try:
        raw = yaml.safe_load(nfc(path.read_text(encoding="utf-8-sig")))
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise InputError([Problem("dataset.yaml", None, None, f"not valid YAML/UTF-8: {err}",
                                  fix_yaml)]) from None
    if not isinstance(raw, dict):
        raise InputError([Problem("dataset.yaml", None, None, "expected a mapping of keys",
                                  fix_yaml)])
    raw = {**DEFAULTS, **raw}
    problems = []

    def bad(key, message):
        problems.append(Problem("dataset.yaml", None, key, message, fix_yaml))

    for key in ("name", "title_vi", "title_en"):
        if raw.get(key) is None or raw[key] == "":
            bad(key, "required text is missing")
        elif not _is_text(raw[key]):
            bad(key, f"must be text, found '{raw[key]}'")
    if isinstance(raw.get("name"), str) and not re.fullmatch(r"[a-z0-9][a-z0-9_-]*", raw["name"]):
        bad("name", f"'{raw['name']}' must be lower-case letters, digits, '-' or '_' (a folder name)")
    methodology = raw.get("methodology")
    optional = "service_index" in raw or methodology is None
    if methodology is None or (not isinstance(methodology, dict) and "service_index" in raw):
        # a satisfaction-only or dossier-only dataset scores no components (index_scores then
        # needs them: load_dataset says so)
        methodology = {"components": []}
    if not isinstance(methodology, dict):
        bad("methodology.components", "expected a list of components (code, label_vi, label_en, "
            "max_points) under methodology, or methodology.versions")
    else:
        raw["methodology"] = {**methodology,
                              "versions": _versions(methodology, raw, optional, bad)}
    bands = raw.get("bands") or []
    if not isinstance(bands, list):
        bad("bands", "expected a list")
        bands = []
    thresholds = []
    for i, b in enumerate(bands, start=1):
        kinds = [k for k in ("min_score", "min_quantile") if isinstance(b, dict) and k in b]
        if len(kinds) != 1 or not all(k in b for k in ("label_vi", "label_en")):
            bad(f"bands[{i}]", "needs label_vi, label_en and exactly one of min_score, min_quantile")
        elif not (_is_text(b["label_vi"]) and _is_text(b["label_en"])):
            bad(f"bands[{i}]", "label_vi and label_en must be text")
        elif not _is_number(b[kinds[0]]):
            bad(f"bands[{i}].{kinds[0]}", f"must be a number, found '{b[kinds[0]]}'")
        elif kinds[0] == "min_quantile" and not 0 <= b[kinds[0]] <= 1:
            bad(f"bands[{i}].min_quantile", f"must be between 0 and 1, found '{b[kinds[0]]}'")
        else:
            thresholds.append((kinds[0], b[kinds[0]]))
    if len({kind for kind, _ in thresholds}) > 1:
        bad("bands", "use either min_score or min_quantile for every band, not both")
    elif [v for _, v in thresholds] != sorted((v for _, v in thresholds), reverse=True):
        bad("bands", "bands must be listed highest first")
    raw["band_sizes"] = _band_sizes(raw.get("band_sizes"), len(bands),
                                    {kind for kind, _ in thresholds} == {"min_quantile"}, bad)
    for key, low, high in (("leader_share", 0, 0.5), ("alpha", 0, 1)):
        if not _is_number(raw[key]) or not low < raw[key] <= high or raw[key] == 1:
            bad(key, f"must be a number in ({low}, {high}{']' if key == 'leader_share' else ')'}")
    if not _is_whole(raw["bootstrap"]) or not 100 <= raw["bootstrap"] <= MAX_BOOTSTRAP:
        bad("bootstrap", f"must be a whole number from 100 to {MAX_BOOTSTRAP:,} (10,000 is usual; "
            f"each replicate holds every unit in memory), found '{raw['bootstrap']}'")
    if not _is_whole(raw["seed"]) or raw["seed"] < 0:
        bad("seed", f"must be a whole number, 0 or more, found '{raw['seed']}'")
    if not isinstance(raw["synthetic"], bool):
        bad("synthetic", f"must be true or false, found '{raw['synthetic']}'")
    survey = raw.get("survey") or {}
    _check_survey(survey, bad)
    scale = survey.get("scale", [1, 5]) if isinstance(survey, dict) else None
    if not (isinstance(scale, list) and len(scale) == 2 and all(map(_is_whole, scale))
            and scale[0] < scale[1]):
        bad("survey.scale", f"must be the lowest and highest answer, e.g. [1, 5], found '{scale}'")
        scale = [1, 5]
    answers = raw["satisfied_answers"]
    if not (isinstance(answers, list) and answers and all(_is_whole(a) and scale[0] <= a <= scale[1]
                                                          for a in answers)
            and len(set(answers)) == len(answers)):
        bad("satisfied_answers", f"must list distinct answers on the {scale[0]}–{scale[1]} scale, "
            f"e.g. [4, 5], found '{answers}'")
    if "default_year" in raw and (not _is_whole(raw["default_year"])
                                  or not 1000 <= raw["default_year"] <= 9999):
        bad("default_year", f"must be a year, found '{raw['default_year']}'")
    if "default_period" in raw and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", str(raw["default_period"])):
        bad("default_period", f"must be a month YYYY-MM, found '{raw['default_period']}'")
    for key in ("index_name_vi", "index_name_en"):
        if key in raw and not _is_text(raw[key]):
            bad(key, f"must be text, found '{raw[key]}'")
    own = raw.get("scale")
    if own is not None and not (isinstance(own, dict) and _is_number(own.get("min"))
                                and _is_number(own.get("max")) and own["min"] < own["max"]):
        bad("scale", "must give min < max (numbers), label_vi and label_en")
    for where, text in _texts(raw):
        found = invisible(text)
        if found:
            problems.append(Problem("dataset.yaml", None, where, f"the text holds the invisible "
                                    f"character {found}", "delete it (retype the text if unsure)"))
    _check_sensitivity(raw.get("sensitivity"), bad)
    _check_publisher(raw.get("publisher"), bad)
    _check_score_sources(raw.get("score_sources"), bad)
    if "service_index" in raw:
        from analysis.inputs.service_mapping import service_mapping   # checks it, naming the key
        try:
            service_mapping(raw["service_index"])
        except InputError as err:
            problems += err.problems
    if problems:
        raise InputError(problems)
    return Config(raw)


def default_when(config: Config) -> tuple[int, str | None]:
    """The year and period a run reports when given neither: the dataset's `default_period` (a
    dossier dataset's month) or `default_year` (dataset.yaml)."""
    if config.raw.get("default_period"):
        period = str(config.default_period)
        return int(period[:4]), period
    if config.raw.get("default_year"):
        return int(config.default_year), None
    raise InputError([Problem("dataset.yaml", None, "default_year", "no --year given and the "
                              "dataset has no default_year", "give --year YEAR, or add "
                              "default_year (or default_period) to dataset.yaml")])


def _check_survey(survey, bad) -> None:
    """`survey` (extension): lists of elements, questions and channels (each a code and its
    labels), and `collection`, per year the method and its labels."""
    if not isinstance(survey, dict):
        bad("survey", "expected a mapping (scale, elements, questions, channels, collection)")
        return
    for key in ("elements", "questions", "channels"):
        items = survey.get(key) or []
        if not isinstance(items, list):
            bad(f"survey.{key}", "expected a list")
            continue
        for i, item in enumerate(items, start=1):
            if not isinstance(item, dict) or not all(_is_text(item.get(k)) for k in
                                                     ("code", "label_vi", "label_en")):
                bad(f"survey.{key}[{i}]", "needs code, label_vi and label_en (text)")
    collection = survey.get("collection") or {}
    if not isinstance(collection, dict):
        bad("survey.collection", "expected a mapping of years to a method and its labels")
        return
    for year, method in collection.items():
        if not isinstance(method, dict) or not all(_is_text(method[k]) for k in method
                                                   if k in ("method", "label_vi", "label_en")):
            bad(f"survey.collection.{year}", "expected method, label_vi and label_en (text)")


VERSION_TEXT = tuple(f"{key}{lang}" for key in ("source", "notes", "label")
                     for lang in ("", "_vi", "_en") if (key, lang) != ("label", ""))


def _band_sizes(sizes, n_bands: int, quantile: bool, bad) -> dict[int, list[int]]:
    """`band_sizes` (data/README.md): year -> the number of units the authority put in each band,
    highest first, for quantile bands; {} when absent."""
    if sizes in (None, {}):
        return {}
    if not isinstance(sizes, dict):
        bad("band_sizes", "expected years, each with the bands' sizes, highest band first")
        return {}
    if not quantile:
        bad("band_sizes", "only bands by quantile (min_quantile) take published sizes")
        return {}
    checked = {}
    for year, counts in sizes.items():
        if not (_is_whole(year) and isinstance(counts, list) and len(counts) == n_bands
                and all(_is_whole(c) and c >= 0 for c in counts)):
            bad(f"band_sizes.{year}", f"needs a year and one whole number per band ({n_bands}), "
                "highest band first, e.g. 2024: [15, 15, 15, 16]")
            continue
        checked[int(year)] = [int(c) for c in counts]
    return checked


def _versions(methodology: dict, raw: dict, optional: bool, bad) -> list[dict]:
    """`methodology.versions` checked and completed, oldest first; without `versions`, one
    version for every year from `methodology.components` and the top-level `scale`.
    `optional`: components may be left out (a dossier-only dataset scores none)."""
    given = methodology.get("versions")
    single = given is None
    if single:
        given = [{"id": "", "from": None, "to": None,
                  **{k: methodology[k] for k in ("components", "subcomponents", *VERSION_TEXT)
                     if k in methodology}}]
    elif not isinstance(given, list) or not given:
        bad("methodology.versions", "expected a list of versions, each with id, from, to, components")
        return []
    versions = []
    for i, v in enumerate(given, start=1):
        prefix = "methodology" if single else f"methodology.versions[{i}]"
        if not isinstance(v, dict):
            bad(prefix, "expected a mapping with id, from, to, components")
            continue
        version = {"id": str(v.get("id", i)), "from": v.get("from"), "to": v.get("to"),
                   "scale": v.get("scale", raw.get("scale")), "components": v.get("components"),
                   "subcomponents": v.get("subcomponents") or [],
                   # a version's own text, else the dataset-wide methodology.source/notes
                   **{k: methodology[k] for k in ("source", "notes") if k in methodology},
                   **{k: v[k] for k in VERSION_TEXT if k in v}}
        for key in VERSION_TEXT:
            if key in v and not _is_text(v[key]):
                bad(f"{prefix}.{key}", f"must be text, found '{v[key]}'")
        for key in ("from", "to"):
            if version[key] is not None and (not isinstance(version[key], int)
                                             or isinstance(version[key], bool)):
                bad(f"{prefix}.{key}", f"must be a year, found '{version[key]}'")
                version[key] = None
        if not single and version["from"] is None:
            bad(f"{prefix}.from", "every version needs its first year")
        _check_components(version, prefix, optional, bad)
        versions.append(version)
    for before, after in zip(versions, versions[1:]):
        if after["from"] is not None and (before["to"] is None or before["to"] >= after["from"]):
            bad("methodology.versions", f"version '{before['id']}' must end before version "
                f"'{after['id']}' starts ({after['from']}); list them oldest first")
    return versions


def _check_components(version: dict, prefix: str, optional: bool, bad) -> None:
    comps = version["components"]
    if not comps and optional:
        version["components"] = []
    elif not isinstance(comps, list) or not comps:
        bad(f"{prefix}.components", "expected a list of components (code, label_vi, label_en, "
            "max_points)")
        version["components"] = []
    else:
        for j, c in enumerate(comps, start=1):
            if not isinstance(c, dict) or not all(k in c for k in ("code", "label_vi", "label_en",
                                                                  "max_points")):
                bad(f"{prefix}.components[{j}]", "needs code, label_vi, label_en, max_points")
            elif not all(_is_text(c[k]) for k in ("code", "label_vi", "label_en")):
                bad(f"{prefix}.components[{j}]", "code, label_vi and label_en must be text "
                    "(quote a code made of digits: code: '7')")
            elif not _is_number(c["max_points"]) or not 0 < c["max_points"] <= LARGEST:
                bad(f"{prefix}.components[{j}].max_points",
                    f"must be a positive number of at most {LARGEST:g}")
        codes = [c.get("code") for c in comps if isinstance(c, dict)]
        for code in sorted({c for c in codes if codes.count(c) > 1}, key=str):
            bad(f"{prefix}.components", f"the code '{code}' is given twice")
    scale, maxima = version["scale"], [c.get("max_points") for c in version["components"]
                                       if isinstance(c, dict)]
    if isinstance(scale, dict) and maxima and all(_is_number(m) for m in maxima) and (
            not _is_number(scale.get("max")) or abs(scale["max"] - sum(maxima)) > 1e-9):
        bad(f"{prefix}.scale", f"the scale's max must be the components' total maximum, "
            f"{sum(maxima):g} (the index on its own scale is Σ points)")
    codes = {c.get("code") for c in version["components"] if isinstance(c, dict)}
    if not isinstance(version["subcomponents"], list):
        bad(f"{prefix}.subcomponents", "expected a list of code, parent, label_vi, label_en")
        version["subcomponents"] = []
    for j, sub in enumerate(version["subcomponents"], start=1):
        if not isinstance(sub, dict) or not all(k in sub for k in ("code", "parent", "label_vi",
                                                                   "label_en")):
            bad(f"{prefix}.subcomponents[{j}]", "needs code, parent, label_vi, label_en")
        elif sub["parent"] not in codes:
            bad(f"{prefix}.subcomponents[{j}].parent",
                f"'{sub['parent']}' is not a component of this version")


def _check_sensitivity(block, bad) -> None:
    """`sensitivity` (extension): draws 100–MAX_BOOTSTRAP, weight_spread in [0, 1), aggregations."""
    if block is None:
        return
    if not isinstance(block, dict):
        bad("sensitivity", "expected a mapping with draws, weight_spread, aggregations")
        return
    draws = block.get("draws")
    if not _is_whole(draws) or not 100 <= draws <= MAX_BOOTSTRAP:
        bad("sensitivity.draws", f"must be a whole number from 100 to {MAX_BOOTSTRAP:,}, found "
            f"'{draws}'")
    spread = block.get("weight_spread", 0.25)
    if not _is_number(spread) or not 0 <= spread < 1:
        bad("sensitivity.weight_spread", f"must be a number in [0, 1), found '{spread}'")
    aggregations = block.get("aggregations", ["arithmetic", "geometric"])
    if not isinstance(aggregations, list) or not aggregations or not set(aggregations) <= {
            "arithmetic", "geometric"}:
        bad("sensitivity.aggregations", f"must list arithmetic and/or geometric, found "
            f"'{aggregations}'")


PUBLISHER_TEXTS = ("name_vi", "name_en", "prepared_by_vi", "prepared_by_en", "report_prefix",
                   "contact", "licence_vi", "licence_en", "logo")


def _check_publisher(block, bad) -> None:
    """`publisher` (the cover): each of PUBLISHER_TEXTS text when given; `prepared_by_vi` and
    `prepared_by_en` (extension: who prepared the report, when not the authority named by
    `name_*`) both or neither."""
    if block is None:
        return
    if not isinstance(block, dict):
        bad("publisher", "expected a mapping with name_vi, name_en (and optionally prepared_by_vi, "
            "prepared_by_en, report_prefix, contact, licence_vi, licence_en, logo)")
        return
    for key in PUBLISHER_TEXTS:
        if key in block and not _is_text(block[key]):
            bad(f"publisher.{key}", f"must be text, found '{block[key]}'")
    if ("prepared_by_vi" in block) != ("prepared_by_en" in block):
        bad("publisher.prepared_by_vi" if "prepared_by_vi" not in block else "publisher.prepared_by_en",
            "give prepared_by_vi and prepared_by_en together (who prepared the report, in each edition)")


def _check_score_sources(block, bad) -> None:
    """`score_sources` (extension): a list of year spans (`from`, optional `to`), each with
    `official` (true or false) and optional `label_vi`/`label_en` (together); no overlaps."""
    if block is None:
        return
    if not isinstance(block, list) or not block:
        bad("score_sources", "expected a list of year spans, each with from, to (optional), "
            "official (true or false), label_vi and label_en")
        return
    spans = []
    for i, source in enumerate(block, start=1):
        where = f"score_sources[{i}]"
        if not isinstance(source, dict):
            bad(where, "expected a mapping with from, to, official, label_vi, label_en")
            continue
        first, last = source.get("from"), source.get("to")
        if not _is_whole(first) or not 1000 <= first <= 9999:
            bad(f"{where}.from", f"must be a year, found '{first}'")
            continue
        if last is not None and (not _is_whole(last) or not first <= last <= 9999):
            bad(f"{where}.to", f"must be a year from {first} on (or left out: still in use), found '{last}'")
            continue
        if not isinstance(source.get("official"), bool):
            bad(f"{where}.official", "must be true (the authority's own release) or false, found "
                f"'{source.get('official')}'")
        labels = [k for k in ("label_vi", "label_en") if k in source]
        if len(labels) == 1 or not all(_is_text(source[k]) for k in labels):
            bad(where, "label_vi and label_en must both be text (or both left out)")
        spans.append((first, 9999 if last is None else last, i))
    spans.sort()
    for (_, end, i), (start, _, j) in zip(spans, spans[1:]):
        if start <= end:
            bad("score_sources", f"spans {i} and {j} overlap: give each year one source")


def _is_number(value) -> bool:
    """A finite number (YAML also reads .nan and .inf as numbers; a boolean is not one)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_text(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def _is_whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _texts(value, where: str = ""):
    """(key path, text) of every text (keys included) in a parsed YAML value."""
    if isinstance(value, str):
        yield where, value
    elif isinstance(value, dict):
        for key, item in value.items():
            path = f"{where}.{key}" if where else str(key)
            if isinstance(key, str):
                yield path, key
            yield from _texts(item, path)
    elif isinstance(value, list):
        for i, item in enumerate(value, start=1):
            yield from _texts(item, f"{where}[{i}]")


def load_dataset(root: Path | str) -> Dataset:
    """Load and check every file of a dataset folder; raise InputError listing all problems."""
    root = Path(root)
    if not root.is_dir():
        raise InputError([Problem(str(root), None, None, "no such folder",
                                  "give --data the path of a dataset folder")])
    config = load_config(root)
    problems: list[Problem] = []
    files = [root / "dataset.yaml"]

    def reader(name: str, required: bool = False) -> TableReader | None:
        path = find_table(root, name)
        if path is None:
            if required:
                problems.append(Problem(f"{name}.csv", None, None, "required file is missing",
                                        f"add {name}.csv (data/README.md lists its columns)"))
            return None
        files.append(path)
        return TableReader(path, problems, root)

    groups = _labels(reader("groups"), "group")
    regions = _labels(reader("regions"), "region")
    units = _units(reader("units", required=True), groups, regions)
    ds = Dataset(root, config, units if units is not None else _empty_units(), groups, regions)
    known = units is not None
    scores = reader("index_scores")
    if scores is not None and not config.components:
        problems.append(Problem("dataset.yaml", None, "methodology.components",
                                f"{scores.name} needs the index's components", "list them under "
                                "methodology.components (code, label_vi, label_en, max_points)"))
        scores = None
    ds.index_scores = _index_scores(scores, ds, known)
    ds.subcomponent_scores = _subcomponent_scores(reader("subcomponent_scores"), ds, known)
    ds.satisfaction = _satisfaction(reader("satisfaction"), ds, known)
    ds.published = _published(reader("published"))
    ds.crosswalk = _crosswalk(reader("crosswalk"), ds, known)
    ds.tiles = _tiles(reader("tiles"), ds, known)
    if (root / "dossier_counts.csv").is_file():   # listed in `files` below
        _dossier_counts(TableReader(root / "dossier_counts.csv", problems, root), ds, known)
    for names, attribute in ((BALLOT_FILES, "ballots_path"), (DOSSIER_FILES, "dossiers_path"),
                             (("dossier_counts.csv",), "dossier_counts_path")):
        path = next((root / n for n in names if (root / n).exists()), None)
        if path is not None:
            setattr(ds, attribute, path)
            files.extend(sorted(path.rglob("*.parquet")) if path.is_dir() else [path])
    ds.files = files
    if problems:
        raise InputError(problems)
    return ds


def _empty_units() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype="string") for c in
                         ("unit_id", "name_vi", "name_en", "group", "region")}).assign(
        valid_from=pd.Series(dtype="Int64"), valid_to=pd.Series(dtype="Int64"))


def _labels(r: TableReader | None, key: str) -> pd.DataFrame | None:
    if r is None or not r.require([key, "label_vi", "label_en"]):
        return None
    r.duplicates([key])
    return pd.DataFrame({key: r.text(key), "label_vi": r.text("label_vi"),
                         "label_en": r.text("label_en")})


def _units(r: TableReader | None, groups, regions) -> pd.DataFrame | None:
    if r is None or not r.require(["unit_id", "name_vi", "name_en", "group"]):
        return None
    r.duplicates(["unit_id"])
    u = pd.DataFrame({
        "unit_id": r.text("unit_id"), "name_vi": r.text("name_vi"), "name_en": r.text("name_en"),
        "group": r.text("group"), "region": r.text("region", required=False),
        "valid_from": r.year("valid_from", required=False),
        "valid_to": r.year("valid_to", required=False),
        "valid_from_month": r.month("valid_from_month"), "valid_to_month": r.month("valid_to_month"),
    })
    rows = r.rows()
    backwards = (u["valid_from"] > u["valid_to"]).fillna(False).astype(bool)
    for idx in u.index[backwards]:
        r.problem(int(rows[idx]), "valid_to", f"valid_to {u.at[idx, 'valid_to']} is before "
                  f"valid_from {u.at[idx, 'valid_from']}", "swap or correct the years")
    for table, key in ((groups, "group"), (regions, "region")):
        if table is None:
            continue
        unknown = (u[key] != "") & ~u[key].isin(table[key])
        for idx in u.index[unknown]:
            r.problem(int(rows[idx]), key, f"'{u.at[idx, key]}' is not in {key}s.csv",
                      f"add it to {key}s.csv or correct the spelling")
    return u


def _check_units(r: TableReader, frame: pd.DataFrame, ds: Dataset) -> None:
    """Every row must name a known unit, in a year inside that unit's validity."""
    units = ds.units.drop_duplicates("unit_id").set_index("unit_id")
    rows = r.rows()
    zeros = _lost_zeros(frame["unit_id"], units.index)
    if zeros:
        first = rows[frame.index[frame["unit_id"].isin(zeros)][0]]
        examples = ", ".join(f"'{short}' for '{full}'" for short, full in list(zeros.items())[:3])
        r.problem(int(first), "unit_id", f"{int(frame['unit_id'].isin(zeros).sum())} rows give unit ids "
                  f"without their leading zeros ({examples}): Excel stored the ids as numbers",
                  "format the unit_id column as Text and type the ids again (or save from the "
                  "template in data/templates/), or write the file as CSV UTF-8")
    validity = dict(zip(units.index, zip(units["valid_from"], units["valid_to"])))
    ids, years = frame["unit_id"], frame["year"]   # the rows that fail a check below, at once
    outside = ((years < ids.map(units["valid_from"])) | (years > ids.map(units["valid_to"])))
    failing = (ids != "") & ~ids.isin(zeros) & (~ids.isin(units.index) | outside.fillna(False))
    for idx, unit, year in zip(frame.index[failing], ids[failing], years[failing]):
        if unit not in validity:
            r.problem(int(rows[idx]), "unit_id", f"unknown unit '{unit}'",
                      "add the unit to units.csv or correct the id")
            continue
        start, end = validity[unit]
        if pd.notna(year) and ((pd.notna(start) and year < start) or (pd.notna(end) and year > end)):
            span = f"{'' if pd.isna(start) else start}–{'' if pd.isna(end) else end}"
            r.problem(int(rows[idx]), "year", f"unit '{unit}' is not valid in {year} (valid {span})",
                      "correct the year, or the unit's valid_from/valid_to in units.csv "
                      "(merged units are mapped by crosswalk.csv)")


def _lost_zeros(ids: pd.Series, known: pd.Index) -> dict[str, str]:
    """Unknown ids that are known ones without their leading zeros ('1' for '01'): a
    spreadsheet read the column as numbers. {found: registry id}."""
    padded = {k.lstrip("0"): k for k in known if k.startswith("0") and k.isdigit()}
    return {u: padded[u] for u in sorted(set(ids.tolist()) - set(known)) if u in padded}


def _index_scores(r: TableReader | None, ds: Dataset, known: bool) -> pd.DataFrame | None:
    """Component points per unit and year, checked against that year's method version. A
    `total` row is the published total (with or without its parts); `decimals` records how
    many decimals each value was written with (for the parts' rounding check)."""
    if r is None or not r.require(["year", "unit_id", "component", "points", "max_points"]):
        return None
    r.duplicates(["year", "unit_id", "component"])
    s = pd.DataFrame({"year": r.year(), "unit_id": r.text("unit_id"),
                      "component": r.text("component"),
                      "points": r.number("points", required=False, minimum=0),
                      "max_points": r.number("max_points", minimum=0)})
    s["decimals"] = r.text("points", required=False).map(decimals).astype(int)
    s["row"] = r.rows()
    rows = r.rows()
    versions = {}   # each year's components' maxima and method version, looked up once
    for row, comp, pts, mx, year in zip(rows.tolist(), s["component"].tolist(), s["points"].tolist(),
                                        s["max_points"].tolist(), s["year"].tolist()):
        key = None if pd.isna(year) else int(year)
        if key not in versions:
            version = ds.config.method(key)
            versions[key] = ({c["code"]: float(c["max_points"]) for c in version["components"]},
                             "" if version["id"] == "" else f" (method version '{version['id']}')")
        maxima, span = versions[key]
        expected = (sum(maxima.values()) or mx) if comp == "total" else maxima.get(comp)
        if expected is None:
            r.problem(row, "component", f"unknown component '{comp}' in {year}{span}",
                      f"use one of {', '.join(maxima)} (dataset.yaml methodology) or 'total'")
        elif not np.isnan(mx) and abs(mx - expected) > 1e-9:
            r.problem(row, "max_points", f"max_points {mx:g} differs from dataset.yaml's "
                      f"{expected:g} for '{comp}'{span}", "make them agree")
        if not np.isnan(pts) and not np.isnan(mx) and pts > mx + 1e-9:
            r.problem(row, "points", f"points {pts:g} exceed max_points {mx:g}",
                      "correct the score or its maximum")
    parts = s[(s["component"] != "total") & s["unit_id"].isin(ds.units["unit_id"])]
    present = parts.groupby(["year", "unit_id"])["component"].agg(set)
    for (year, unit), found in ([] if r.malformed else present.items()):
        missing = [c["code"] for c in ds.config.method(int(year))["components"]
                   if c["code"] not in found]
        if missing:
            first = s[(s["year"] == year) & (s["unit_id"] == unit)].index[0]
            r.problem(int(rows[first]), "component", f"unit '{unit}' has no row for {', '.join(missing)} "
                      f"in {year}", "add the missing component rows (leave points empty for a gap)")
    if known:
        _check_units(r, s, ds)
    return s


def decimals(text: str) -> int:
    """Decimals a number was written with: '84.38' → 2, '17' → 0, '' → 0."""
    return len(text.split(".", 1)[1]) if "." in text else 0


def _subcomponent_scores(r: TableReader | None, ds: Dataset, known: bool) -> pd.DataFrame | None:
    """Sub-component points (`subcomponent_scores.csv`: year, unit_id, component, points), each
    code a sub-component of that year's method version (`subcomponents` in dataset.yaml)."""
    if r is None or not r.require(["year", "unit_id", "component", "points"]):
        return None
    r.duplicates(["year", "unit_id", "component"])
    s = pd.DataFrame({"year": r.year(), "unit_id": r.text("unit_id"),
                      "component": r.text("component"),
                      "points": r.number("points", required=False, minimum=0)})
    s["row"] = r.rows()
    parent, parents_of = [], {}   # parents_of: each year's {sub-component: parent}, once
    for row, code, year in zip(s["row"].tolist(), s["component"].tolist(), s["year"].tolist()):
        key = None if pd.isna(year) else int(year)
        if key not in parents_of:
            parents_of[key] = {sub["code"]: sub["parent"]
                               for sub in ds.config.method(key)["subcomponents"]}
        parents = parents_of[key]
        if code not in parents:
            r.problem(row, "component", f"'{code}' is not a sub-component of "
                      f"{year}'s method version", "add it to the version's subcomponents in "
                      "dataset.yaml or correct the code")
        parent.append(parents.get(code, ""))
    s["parent"] = pd.Series(parent, index=s.index, dtype="string")
    if known:
        _check_units(r, s, ds)
    return s


def _satisfaction(r: TableReader | None, ds: Dataset, known: bool) -> pd.DataFrame | None:
    if r is None or not r.require(["year", "unit_id", "n_respondents", "n_satisfied"]):
        return None
    r.duplicates(["year", "unit_id"])
    s = pd.DataFrame({"year": r.year(), "unit_id": r.text("unit_id"),
                      "n_respondents": r.number("n_respondents", False, integer=True, minimum=0),
                      "n_satisfied": r.number("n_satisfied", False, integer=True, minimum=0),
                      "satisfied_pct": r.number("satisfied_pct", False, minimum=0,
                                                maximum=100)})
    rows = r.rows()
    # A published rate whose sample size is unknown: satisfied_pct with both counts empty.
    counts = s["n_respondents"].notna() & s["n_satisfied"].notna()
    rate_only = s["n_respondents"].isna() & s["n_satisfied"].isna() & s["satisfied_pct"].notna()
    for idx in s.index[~(counts | rate_only)]:
        r.problem(int(rows[idx]), "n_respondents", "give both n_respondents and n_satisfied, or only "
                  "satisfied_pct when the sample size is unknown", "fill in the counts or the rate")
    for idx in s.index[(s["n_satisfied"] > s["n_respondents"]).fillna(False).astype(bool)]:
        r.problem(int(rows[idx]), "n_satisfied", f"{s.at[idx, 'n_satisfied']:g} satisfied out of "
                  f"{s.at[idx, 'n_respondents']:g} respondents: the counts do not add up",
                  "n_satisfied must not exceed n_respondents")
    if known:
        _check_units(r, s, ds)
    return s


def _dossier_counts(r: TableReader, ds: Dataset, known: bool) -> None:
    """Check `dossier_counts.csv` (read for the index by service_quality.read_dossier_counts):
    known units, periods YYYY or YYYY-MM, every count a whole number ≥ 0."""
    if not r.require(["unit_id", "period", *COUNTS]):
        return
    units, periods = r.text("unit_id"), r.text("period")
    for column in COUNTS:
        r.number(column, integer=True, minimum=0)
    rows = r.rows()
    for idx in periods.index[~periods.str.fullmatch(r"\d{4}(-(0[1-9]|1[0-2]))?").fillna(False)]:
        r.problem(int(rows[idx]), "period", f"'{periods[idx]}' is not a period",
                  "write a month YYYY-MM or a year YYYY")
    if known:
        for idx in units.index[(units != "") & ~units.isin(ds.units["unit_id"])]:
            r.problem(int(rows[idx]), "unit_id", f"unknown unit '{units[idx]}'",
                      "add the unit to units.csv or correct the id")


def _published(r: TableReader | None) -> pd.DataFrame | None:
    if r is None or not r.require(["year", "scope", "key", "metric", "value", "source"]):
        return None
    p = pd.DataFrame({"year": r.year(), "scope": r.text("scope"),
                      "key": r.text("key", required=False), "metric": r.text("metric"),
                      "value": r.number("value"), "value_text": r.text("value", required=False),
                      "source": r.text("source"), "note": r.text("note", required=False),
                      "note_vi": r.text("note_vi", required=False)})
    rows = r.rows()
    for idx in p.index[~p["scope"].isin(SCOPES)]:
        r.problem(int(rows[idx]), "scope", f"unknown scope '{p.at[idx, 'scope']}'",
                  f"use one of {', '.join(SCOPES)}")
    r.duplicates(["year", "scope", "key", "metric"])
    return p


def _tiles(r: TableReader | None, ds: Dataset, known: bool) -> pd.DataFrame | None:
    """Optional tile-grid map layout: each unit's row and column and a short label. Units never
    valid in the same year may share a position and a label (a merged unit drawn on the tile of
    the former unit whose name it keeps); units of one year may not (one tile, one code each)."""
    if r is None or not r.require(["unit_id", "row", "col", "label"]):
        return None
    r.duplicates(["unit_id"])
    t = pd.DataFrame({"unit_id": r.text("unit_id"), "row": r.number("row", integer=True, minimum=0),
                      "col": r.number("col", integer=True, minimum=0), "label": r.text("label")})
    rows = r.rows()
    if known:
        for idx in t.index[~t["unit_id"].isin(ds.units["unit_id"])]:
            r.problem(int(rows[idx]), "unit_id", f"unknown unit '{t.at[idx, 'unit_id']}'",
                      "add the unit to units.csv or correct the id")
    shared = ("or share one only between units never valid in the same year "
              "(valid_from/valid_to in units.csv)")
    _same_year_clashes(r, t, ds, ["row", "col"], f"give one of them a free row and col, {shared}")
    # a code must name one unit in the key beside the map
    _same_year_clashes(r, t, ds, ["label"], f"give one of them another label, {shared}")
    return t


def _same_year_clashes(r: TableReader, t: pd.DataFrame, ds: Dataset, keys: list[str], fix: str) -> None:
    """Report each row of tiles.csv whose `keys` repeat an earlier row's while both rows' units
    are valid in a common year: [from, to] of the two units overlap (an unknown unit, or an
    empty bound, counts as valid every year)."""
    units = ds.units.drop_duplicates("unit_id").set_index("unit_id")
    first = t["unit_id"].map(units["valid_from"]).astype("Float64").fillna(-np.inf)
    last = t["unit_id"].map(units["valid_to"]).astype("Float64").fillna(np.inf)
    rows = r.rows()
    for _, group in t.groupby(keys, sort=False):
        for i, later in enumerate(group.index):
            for earlier in group.index[:i]:
                start, end = max(first[earlier], first[later]), min(last[earlier], last[later])
                if start > end:
                    continue
                key = ", ".join(f"{k}={r.frame.at[later, k]}" for k in keys)   # as written
                years = ("every year" if start == -np.inf and end == np.inf else
                         f"the years to {end:.0f}" if start == -np.inf else
                         f"the years from {start:.0f}" if end == np.inf else
                         f"{start:.0f}" if start == end else f"{start:.0f}–{end:.0f}")
                r.problem(int(rows[later]), keys[-1],
                          f"duplicate key ({key}) already given on row {rows[earlier]} to unit "
                          f"'{t.at[earlier, 'unit_id']}', and both units are valid in {years}", fix)
                break


def _crosswalk(r: TableReader | None, ds: Dataset, known: bool) -> pd.DataFrame | None:
    if r is None or not r.require(["from_unit_id", "to_unit_id", "effective_year", "weight"]):
        return None
    c = pd.DataFrame({"from_unit_id": r.text("from_unit_id"), "to_unit_id": r.text("to_unit_id"),
                      "effective_year": r.year("effective_year"),
                      "weight": r.number("weight", minimum=0),
                      "effective_from": r.month("effective_from")})
    rows = r.rows()
    if known:
        for column in ("from_unit_id", "to_unit_id"):
            for idx in c.index[(c[column] != "") & ~c[column].isin(ds.units["unit_id"])]:
                r.problem(int(rows[idx]), column, f"unknown unit '{c.at[idx, column]}'",
                          "add the unit to units.csv or correct the id")
    for idx in c.index[(c["weight"] > 1).fillna(False).astype(bool)]:
        r.problem(int(rows[idx]), "weight", "a weight is a share of the former unit: at most 1",
                  "correct the weight")
    r.duplicates(["from_unit_id", "to_unit_id", "effective_year"])
    return c
