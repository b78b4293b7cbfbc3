"""The publication's HTML: one Jinja2 template per section (`templates/sections/`), autoescaped,
filled with data the sections build (formatted strings, tables, charts); and signed wording."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

import jinja2
import markupsafe
import numpy as np
import pandas as pd

from analysis.paths import TEMPLATES


def text(value) -> str:
    """A cell's text: nothing for a missing value."""
    return "" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)


@dataclass
class Table:
    """A table of already formatted cells; `numeric` the columns set right-aligned (and kept on
    one line, as are the columns in `nowrap`)."""
    rows: list[list]
    headers: list[str]
    numeric: set[int] = field(default_factory=set)
    caption: str = ""
    nowrap: set[int] = field(default_factory=set)  # columns of short labels kept on one line
    # headers over several columns: (label, first column, number of columns), e.g. the index's
    # scale over its mean, lowest and highest ("Điểm PAPI (8–80)" said once, not three times)
    groups: list[tuple[str, int, int]] = field(default_factory=list)
    kind: str = ""   # a class of its own for the stylesheet ("reconciliation")

    def __post_init__(self):
        self.rows = [[text(c) for c in row] for row in self.rows]

    def caption_parts(self) -> tuple[str, str]:
        """The caption as its title (set bold) and the explanation after its first ": " or "; "
        outside brackets (set in normal weight, so that a long caption is not a bold paragraph);
        no explanation when it has none."""
        depth = 0
        for i, char in enumerate(self.caption):
            depth += {"(": 1, ")": -1}.get(char, 0)
            if depth == 0 and char in ":;" and self.caption[i + 1:i + 2] == " ":
                return self.caption[:i + 1], self.caption[i + 2:]
        return self.caption, ""

    def head(self) -> list[list[dict]]:
        """The header's rows of cells (text, colspan, rowspan, numeric, group): one row, or with
        `groups` two, a grouped column's header under its group's, the others across both."""
        grouped = {i: (label, first, n) for label, first, n in self.groups for i in range(first, first + n)}

        def cell(text, i, cols=1, rows=1, group=False):
            return dict(text=text, colspan=cols, rowspan=rows, num=i in self.numeric, group=group)
        top = []
        for i, header in enumerate(self.headers):
            if i not in grouped:
                top.append(cell(header, i, rows=2 if self.groups else 1))
            elif grouped[i][1] == i:
                top.append(cell(grouped[i][0], i, cols=grouped[i][2], group=True))
        under = [cell(self.headers[i], i) for i in sorted(grouped)]
        return [top, under] if under else [top]


@dataclass
class Figure:
    """An embedded chart: its data URI, alt text, number ("Hình 2.") and caption."""
    src: str
    alt: str
    number: str
    caption: str
    narrow: bool = False


@functools.cache
def keep_ranges(value) -> markupsafe.Markup:
    """`value` escaped, each range of numbers ("8–80", "(6–60)", "2021–2024"), each hyphenated
    word ("p-value", "Sala-i-Martin") and each pair of names joined by a dash ("Pitman–Morgan")
    kept on one line: a narrow column header or a paragraph breaks between words, not after
    the dash of "8–80" or the hyphen of "p-value" (which read "p-" / "value"). Markup (already
    HTML) is left as it is."""
    if isinstance(value, markupsafe.Markup):
        return value
    escaped = re.sub(r"(?<![\w-])[^\W\d_]+(?:[-–][^\W\d_]+)+(?![\w-])",
                     lambda m: f'<span class="nowrap">{m.group(0)}</span>', str(markupsafe.escape(value)))
    return markupsafe.Markup(re.sub(r"\(?\d+(?:[.,]\d+)?–\d+(?:[.,]\d+)?\)?",
                                    lambda m: f'<span class="nowrap">{m.group(0)}</span>', escaped))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES / "sections"),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["keep_ranges"] = keep_ranges
    return env


def render(template: str, **data) -> str:
    """The template (a file name in templates/sections/) filled with `data`, escaped."""
    return environment().get_template(template).render(**data)


def direction(change: float) -> str:
    """The catalog key of a change's direction (below half a hundredth: unchanged)."""
    if abs(change) < 0.005:
        return "word.unchanged"
    return "word.up" if change > 0 else "word.down"


def signed_int(value) -> str:
    """+3, 0, −2 (a true minus sign); – when missing."""
    if value is None or pd.isna(value):
        return "–"
    value = int(value)
    return f"+{value}" if value > 0 else ("0" if value == 0 else f"−{abs(value)}")
