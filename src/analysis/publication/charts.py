"""One chart style for print, screen and newspapers: A4 width, DejaVu Sans (every Vietnamese
letter), a colour-blind-safe palette (Okabe & Ito 2008), labels passed in already translated and
numbers formatted by the edition's `fmt` on every axis. Each function returns a matplotlib
Figure; `save` writes it as SVG (text kept as text) and as a 300-dpi PNG, deterministically
(fixed hash salt, no date metadata).

Rules a reader would check: bars start at zero (a bar's length is its value), and where the
differences are small against the level, dots (Cleveland 1985) on a fitted axis instead;
a ranking longer than `LONG` shows its top and bottom `ENDS` (the full list belongs in a table);
count axes have whole-number ticks; labels never overprint each other (`spread`: a column of labels
beside the plot, each joined to its point).
"""
from __future__ import annotations

import functools
import hashlib
import io
import os
import re
import textwrap
import types
import unicodedata
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.text  # noqa: E402
from matplotlib import font_manager, ft2font  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import RendererAgg  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter  # noqa: E402

from analysis.publication import png  # noqa: E402
from analysis.publication.formatting import NBSP, vi_words  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BAND_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#999999"]
GREY = "#6b6b6b"
A4_WIDTH_IN = 6.7  # text width of an A4 page with 2 cm margins
MAX_HEIGHT_IN = 8.4  # a heading and the chart fit on one A4 page
PNG_DPI = 300  # print resolution for newspapers
CREDIT_PT = 6.5  # the credit line under a PNG copy's chart
TITLE_PT = 8.5  # the title over a PNG copy's chart
CHAR_EM = 0.6  # a character of DejaVu Sans text is at most about 0.6 em wide on average
CREDIT_GAP_IN = 0.06  # between the chart's content and its credit
TITLE_GAP_IN = 0.1  # between a PNG copy's title and the chart
LONG = 25  # a ranking of more units than this is drawn as its top and bottom ENDS
ENDS = 10
UNHINTED = {"text.hinting": "no_hinting"}  # the PNG copies' text (`png_pixels`)
GAP_MARK = "\u22ee"  # ⋮ between the top and the bottom of a cut ranking

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none",
    "svg.hashsalt": "par-reports", "figure.dpi": 100, "axes.axisbelow": True,
})


_METRICS: dict[tuple, tuple[float, float, float]] = {}


def _shared_text_metrics(renderer, text, font, ismath, dpi):
    """Width, height and descent of a text as drawn by `renderer`, measured once per kind of
    renderer and resolution. matplotlib keeps its cache per renderer object, and a figure saved
    with bbox_inches="tight" is measured by one renderer (the tight box) and drawn by another of
    the same kind and dpi, so every label was measured twice per file; the measure depends only
    on the text, the font, the renderer's kind and its dpi, and the hinting of the glyphs
    (`get_text_width_height_descent`)."""
    key = (type(renderer), getattr(renderer, "dpi", None), dpi, text, font.copy(), ismath,
           plt.rcParams["text.hinting"])
    if key not in _METRICS:
        if len(_METRICS) > 65536:
            _METRICS.clear()
        _METRICS[key] = renderer.get_text_width_height_descent(text, font, ismath)
    return _METRICS[key]


matplotlib.text._get_text_metrics_with_cache = _shared_text_metrics

_LAYOUTS: dict[tuple, tuple] = {}
_own_layout = matplotlib.text.Text._get_layout


def _shared_text_layout(text: Text, renderer):
    """A text's layout (`Text._get_layout`: its box and its lines' offsets from its anchor),
    computed once per kind of renderer and resolution. matplotlib lays a label out afresh each
    time it is measured or drawn (tick labels, the tight box, the layout, the draw: several
    times per file), each time reading the font's height tables again: a fifth to a quarter of
    an edition's chart time. The layout depends only on what the key holds: the text as drawn,
    its font, line spacing, alignments and rotation, the renderer's kind and dpi, the figure's
    dpi, the hinting of the glyphs."""
    key = (type(renderer), getattr(renderer, "dpi", None), text.get_figure(root=True).dpi,
           text._get_wrapped_text(), text.get_fontproperties().copy(), text._linespacing,
           text.get_usetex(), text.get_parse_math(), text._get_multialignment(),
           text.get_rotation(), text.get_rotation_mode(), text.get_horizontalalignment(),
           text.get_verticalalignment(), plt.rcParams["text.hinting"])
    if key not in _LAYOUTS:
        if len(_LAYOUTS) > 65536:
            _LAYOUTS.clear()
        _LAYOUTS[key] = _own_layout(text, renderer)
    box, lines, corner = _LAYOUTS[key]
    return box.frozen(), list(lines), corner


matplotlib.text.Text._get_layout = _shared_text_layout

_FONT_FILES: dict[str, bytes] = {}
_FT2Font = ft2font.FT2Font


def _face_in_memory(path, *args, **kwargs):
    """A FreeType face for drawing (`font_manager._get_font` opens those, with a kerning factor)
    read from its font file's bytes, kept in memory. matplotlib gives FreeType a Python file
    object, through which FreeType reads a glyph's outline each time it loads the glyph: a seek
    and a read, two system calls each time (300,000 in a run's two report kernels). From memory
    the same bytes are read without them, and the same pixels drawn: an edition's sections take
    0.2 s less CPU (benchmarks/README.md). The bytes are read once per process (before the
    kernels' parent forks, by `report.warm_up`). Faces opened for their names only
    (`FontManager.addfont`, which keeps the face's file name) are opened from the file."""
    if "_kerning_factor" in kwargs and isinstance(path, (str, os.PathLike)):
        name = os.fspath(path)
        if name not in _FONT_FILES:
            _FONT_FILES[name] = Path(name).read_bytes()
        path = io.BytesIO(_FONT_FILES[name])
    return _FT2Font(path, *args, **kwargs)


font_manager.ft2font = types.SimpleNamespace(**{**vars(ft2font), "FT2Font": _face_in_memory})
font_manager._get_font.cache_clear()   # faces opened before (none, as imported) are reopened


def _nfc(fig) -> None:
    """Every text of the figure in NFC: a decomposed Vietnamese letter would be drawn as a base
    letter and loose marks."""
    for text in fig.findobj(Text):
        content = text.get_text()
        if content and not unicodedata.is_normalized("NFC", content):
            text.set_text(unicodedata.normalize("NFC", content))


def to_svg(fig) -> str:
    """The figure as SVG text (the figure is closed)."""
    _nfc(fig)
    svg, _content = svg_text(fig)
    plt.close(fig)
    return svg


def svg_text(fig, credit: str = "", title: str = "") -> tuple[str, Bbox]:
    """The figure as SVG text, and the tight box of its content (inches, unpadded) that savefig
    measured for it; a `credit` goes into its metadata (dc:description), a `title` (the PNG
    copy's) into dc:title, so that either changed makes another SVG. The box is taken as
    savefig finds it (`Figure.get_tightbbox`, watched for this one call) so that the PNG copy
    needs no measuring pass of its own (`png_box`)."""
    buffer, boxes = io.StringIO(), []
    measure = fig.get_tightbbox
    fig.get_tightbbox = lambda *args, **kwargs: boxes.append(measure(*args, **kwargs)) or boxes[-1]
    try:
        fig.savefig(buffer, format="svg", bbox_inches="tight",
                    metadata={"Date": None, **({"Description": credit} if credit else {}),
                              **({"Title": title} if title else {})})
    finally:
        del fig.get_tightbbox
    return buffer.getvalue(), boxes[-1]


# stem -> (a PNG copy of an earlier run, its SHA-256, the SHA-256 of the SVG drawn beside it)
_EARLIER: dict[str, tuple[str, str, str]] = {}


def reuse_png_copies(earlier: dict[str, tuple[str, str, str]]) -> None:
    """Offer `save` the PNG copies of the previous run of the same edition, made by the same code
    and libraries (`publish.earlier_png_copies` checks that): a figure whose SVG is byte for byte
    the one drawn beside such a copy has that copy's pixels, and drawing it again at 300 dpi
    (about 0.7 s of CPU for an edition's seven charts) would write the same bytes."""
    _EARLIER.clear()
    _EARLIER.update(earlier)


def _earlier_copy(stem: str, svg: str) -> bytes | None:
    """The bytes of the earlier PNG copy of `stem` if its SVG was `svg` and the file is still
    the one its run recorded; else None (the copy is drawn)."""
    path, png_digest, svg_digest = _EARLIER.get(stem, ("", "", ""))
    if not path or hashlib.sha256(svg.encode("utf-8")).hexdigest() != svg_digest:
        return None
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == png_digest else None


def sentence_lines(text: str, per_line: int) -> str:
    """A PNG copy's credit or title in lines of at most `per_line` characters: one line if it
    fits, else each of its sentences ("Nguồn: …", "Biểu đồ: …") from a line of its own, so that
    no line breaks a name or a source in two where a sentence could end it. A sentence is
    wrapped between words into as few lines as `per_line` allows, at the narrowest width that
    needs no more (lines of even length), so that its last line is never a word or two left
    alone ("… (sơ đồ, không theo / tỷ lệ)"); a Vietnamese word of two syllables of
    `formatting.vi_words` stays on one line."""
    if len(text) <= per_line:
        return text

    def lines(sentence: str, width: int) -> list[str]:
        return textwrap.wrap(sentence, width, break_long_words=False, break_on_hyphens=False)

    wrapped = []
    for sentence in re.split(r"(?<=\.)\s+", text.strip()):
        sentence = vi_words(sentence)   # "tỷ lệ", "thành phố": one word each, never split
        width, count = per_line, len(lines(sentence, per_line))
        longest = max(map(len, sentence.split()))
        while width > longest and len(lines(sentence, width - 1)) == count:
            width -= 1
        wrapped += lines(sentence, width)
    return "\n".join(wrapped).replace(NBSP, " ")


def png_box(fig, content: Bbox, credit: str = "", title: str = "") -> Bbox:
    """The PNG copy's box in inches: `content`, the tight box savefig measured for the SVG
    (`svg_text`; the PNG's unhinted text has the SVG's measures, `png_pixels`), with `title`
    (what the chart shows: the report's caption gives it on the page) in bold over it and
    `credit` (whose figures, which period, who drew the chart) in small grey type under it,
    both from its left edge and as wide as it (a newspaper reuses the PNG copy on its own),
    padded as bbox_inches="tight" pads."""
    width, height = fig.get_size_inches()
    parts = [content]
    for text, size, y, align, style in (
            (title, TITLE_PT, content.y1 + TITLE_GAP_IN, "bottom", {"fontweight": "bold"}),
            (credit, CREDIT_PT, content.y0 - CREDIT_GAP_IN, "top", {"color": GREY})):
        if text:
            per_line = int(content.width * 72 / (size * CHAR_EM))  # as wide as the chart
            drawn = fig.text(content.x0 / width, y / height, sentence_lines(text, per_line),
                             ha="left", va=align, fontsize=size, **style)
            with plt.rc_context(UNHINTED):   # measured as `png_pixels` draws it
                line = drawn.get_window_extent(RendererAgg(1, 1, PNG_DPI), dpi=PNG_DPI)
            parts.append(Bbox(line.get_points() / PNG_DPI))
    return Bbox.union(parts).padded(plt.rcParams["savefig.pad_inches"])


def png_pixels(fig, box: Bbox) -> np.ndarray:
    """The figure drawn at PNG_DPI on white, cut to `box` (inches): height × width × 4 bytes
    (RGBA), as savefig would put them in a PNG. Laid out as the SVG was (the layout engine is
    not run again) and the text unhinted (at 300 dpi hinting changes no letter a reader sees,
    and costs a quarter of the drawing: benchmarks/README.md), so the measures of the SVG's
    text, which are unhinted, hold for the PNG."""
    buffer = io.BytesIO()
    engine = fig.get_layout_engine()
    fig.set_layout_engine("none")
    try:
        with plt.rc_context(UNHINTED):
            fig.savefig(buffer, format="rgba", dpi=PNG_DPI, bbox_inches=box, facecolor="white")
    finally:
        fig.set_layout_engine(engine)
    # the canvas of the cut figure is box × dpi, each side truncated (`RendererAgg`)
    width, height = int(box.width * PNG_DPI), int(box.height * PNG_DPI)
    return np.frombuffer(buffer.getbuffer(), dtype=np.uint8).reshape(height, width, 4)


def png_copy(fig, content: Bbox, credit: str = "", title: str = "") -> bytes:
    """The PNG file of the figure whose SVG's content box is `content` (`svg_text`): 300 dpi,
    white, `title` over the chart and in its Title, `credit` under it and in its Description."""
    return png.encode(png_pixels(fig, png_box(fig, content, credit, title)), PNG_DPI,
                      {**({"Title": title} if title else {}), **({"Description": credit} if credit else {})})


def save(fig, folder: Path | None, stem: str, credit: str = "", title: str = "") -> str:
    """The figure as SVG text; with a `folder`, also written there as `stem`.svg and `stem`.png
    (300 dpi, white background, for re-use in print; the previous run's copy when it is known
    to have the same pixels: `reuse_png_copies`). A `credit` (`cover.chart_credit`) and a
    `title` are in both files' metadata, and printed under and over the PNG copy's chart
    (`png_box`): the report's pages say them already, a chart reused alone does not. The
    figure is closed."""
    _nfc(fig)
    svg, content = svg_text(fig, credit, title)
    if folder is not None:
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{stem}.svg").write_text(svg, encoding="utf-8")
        earlier = _earlier_copy(stem, svg)  # credit and title are in the SVG: new ones, a new copy
        if earlier is not None:
            (folder / f"{stem}.png").write_bytes(earlier)
        else:
            (folder / f"{stem}.png").write_bytes(png_copy(fig, content, credit, title))
    plt.close(fig)
    return svg


def _number_axis(axis, fmt) -> None:
    """Ticks in steps of 1, 2 or 5 times a power of ten (never 2.5, which a format with fewer
    decimals would print rounded: 97.5 as "98"), labelled by `fmt`."""
    if axis.get_scale() != "log":
        axis.set_major_locator(MaxNLocator(steps=[1, 2, 5, 10]))
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


def _count_axis(axis, fmt=None) -> None:
    """Whole-number ticks only (a count of units has no halves), formatted by `fmt`."""
    _number_axis(axis, fmt or (lambda v: f"{v:.0f}"))
    axis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))


def ends(n: int) -> np.ndarray:
    """Positions shown of a ranking of `n`: all up to LONG, else the first and last ENDS."""
    if n <= LONG:
        return np.arange(n)
    return np.r_[np.arange(ENDS), np.arange(n - ENDS, n)]


def _rows(n: int) -> tuple[np.ndarray, np.ndarray, list[float]]:
    """(kept positions, their y, y of the gap row or []) for a ranking of `n`, best at the top."""
    kept = ends(n)
    if len(kept) == n:
        return kept, np.arange(n)[::-1].astype(float), []
    y = np.r_[np.arange(2 * ENDS, ENDS, -1), np.arange(ENDS - 1, -1, -1)].astype(float)
    return kept, y, [float(ENDS)]


def _take(values, kept):
    return None if values is None else np.asarray(values, dtype=float)[kept]


def _wrap(label: str, width: int = 45) -> str:
    """`label` on lines of at most `width` characters, broken between words only."""
    return textwrap.fill(label, width, break_long_words=False, break_on_hyphens=False)


LINE_IN = 0.135  # one line of 8-pt tick label with its leading, inches


def _fitted_labels(labels: list[str], rows: int) -> tuple[list[str], float]:
    """Tick labels wrapped so that every row has room for its lines (a 2- or 3-line name
    overprinted its neighbours at a fixed row height) and the chart stays within MAX_HEIGHT_IN:
    the narrowest wrap whose rows fit; returns (labels, row height in inches)."""
    for width in (45, 60, 80, 200):
        wrapped = [_wrap(label, width) for label in labels]
        lines = max((w.count("\n") + 1 for w in wrapped), default=1)
        row_in = max(0.18, LINE_IN * lines + 0.07)
        if row_in * rows + 0.8 <= MAX_HEIGHT_IN:
            break
    return wrapped, row_in


def _mean_line(ax, mean, label, top) -> None:
    """A dashed line at the mean, labelled at the top, 3 pt clear of the line, on the side
    where the label fits inside the axes (right first); where it fits on neither side the
    axis is widened on the right, so the label is never cut at the plot's edge."""
    ax.axvline(mean, color="#000000", linestyle="--", linewidth=0.9, zorder=1)
    ax.figure.draw_without_rendering()  # the limits and the text's size are final
    low, high = ax.get_xlim()
    per_point = (high - low) / (ax.get_window_extent().width * 72 / ax.figure.dpi)
    text = ax.text(0, 0, label, fontsize=7)
    width = (text.get_window_extent().width * 72 / ax.figure.dpi + 3) * per_point
    text.remove()
    right = mean + width <= high or mean - width < low
    if mean + width > high and mean - width < low:
        ax.set_xlim(low, mean + width * 1.05)
    ax.annotate(label, (mean, top), xytext=(3 if right else -3, 0), textcoords="offset points",
                ha="left" if right else "right", va="bottom", fontsize=7, annotation_clip=False,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5, "alpha": 0.85})


def ranked_bars(labels, values, colours, mean, mean_label, xlabel, fmt, low=None, high=None,
                gap_label: str = GAP_MARK, legend=(), floor: float = 0.0):
    """A ranking, best at the top, a dashed line at the mean: bars from `floor` (zero, or the
    lowest score of a scale that does not start at zero: PAPI's 8–80 starts at 8, so a bar's
    length is the score above the least possible, and the axis starts and is labelled there),
    or, with an interval (`low`, `high`), dots with whiskers on an axis fitted to the intervals
    (a dot's position, not a bar's length, carries the value). More than LONG units are cut to
    the top and bottom ENDS around a `gap_label` row. `legend`: [(label, colour)] of the colours
    drawn, above the plot, so the figure explains itself where it is reused."""
    kept, y, gap = _rows(len(values))
    colours = [colours[i] for i in kept]
    values, low, high = _take(values, kept), _take(low, kept), _take(high, kept)
    rows = len(y) + len(gap)
    labels, row_in = _fitted_labels([labels[i] for i in kept], rows)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(MAX_HEIGHT_IN, max(2.0, row_in * rows + 0.8))))
    if low is None:
        ax.barh(y, values - floor, left=floor, color=colours, height=0.72)
        finite = np.r_[values, mean]
        top = np.nanmax(finite) if np.isfinite(finite).any() else floor + 1
        ax.set_xlim(floor, floor + (top - floor) * 1.04)
    else:
        below = np.clip(values - low, 0, None)  # rounding can put p a hair outside
        above = np.clip(high - values, 0, None)
        ax.errorbar(values, y, xerr=[below, above], fmt="none", ecolor="#555555", elinewidth=0.9,
                    capsize=1.5, zorder=2)
        ax.scatter(values, y, color=colours, s=22, zorder=3)
        finite = np.r_[low, high, mean]
        lo, hi = np.nanmin(finite), np.nanmax(finite)
        pad = (hi - lo) * 0.04 + 1e-9
        ax.set_xlim(lo - pad, hi + pad)
        ax.hlines(y, lo - pad, low, color="#eeeeee", linewidth=0.6, zorder=0)
    _mean_line(ax, mean, mean_label, rows - 0.4)
    ax.set_yticks(np.r_[y, gap], labels + [gap_label] * len(gap), fontsize=8)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.7, rows + 0.6)
    _number_axis(ax.xaxis, fmt)
    if low is None and floor:   # the bars' start labelled: the axis does not start at zero
        # beside the floor's label the ticks keep their regular steps (8, 10, 15, 20 …, not
        # 8, 15, 20: a first interval unlike the others), but none so close as to crowd it
        ticks = ax.get_xticks()
        step = ticks[1] - ticks[0] if len(ticks) > 1 else 0
        end = ax.get_xlim()[1]
        above = [tick for tick in ticks if tick > end]
        if above and step:   # the axis ends on a labelled value (50, not 49.7)
            end = above[0]
            ax.set_xlim(floor, end)
        ax.set_xticks([floor, *(tick for tick in ticks if floor + step / 4 <= tick <= end)])
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    if legend:
        handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for _, colour in legend]
        ax.legend(handles, [label for label, _ in legend], loc="lower left", bbox_to_anchor=(0, 1.0),
                  ncol=len(legend) if len(legend) <= 2 else 2, frameon=False, fontsize=7)
    return fig


def band_counts(labels, counts, ylabel, fmt=None, spans=None):
    """Number of units in each band, bands in their order (highest first); whole-number ticks.
    `spans`: a line under each band's name (its lowest and highest score: where the authority
    fixes the bands' sizes, the counts alone say nothing)."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN * 0.75, 2.4))  # shown at 75% of the width
    bars = ax.bar(range(len(counts)), counts, color=BAND_COLOURS[: len(counts)])
    text = fmt or (lambda v: f"{v:.0f}")
    ax.bar_label(bars, labels=[text(c) for c in counts], padding=2)
    names = [_wrap(label, 16) for label in labels]
    if spans is not None:
        names = [f"{name}\n{span}" if span else name for name, span in zip(names, spans)]
    ax.set_xticks(range(len(counts)), names, fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(max(counts, default=0) * 1.18, 1))
    _count_axis(ax.yaxis, fmt)
    return fig


def group_means(labels, means, overall, overall_label, xlabel, fmt, tick_fmt=None):
    """A dot plot (Cleveland 1985): one dot per group at its mean, the mean written beside it
    (`fmt`), a dashed line at the overall mean and a thin stem from it to each dot (how far above
    or below; a stem from the axis's edge would have a length that means nothing, as the axis
    need not start at zero); ticks in `tick_fmt` (else `fmt`)."""
    means = np.asarray(means, dtype=float)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 0.35 * len(means) + 0.9))
    y = np.arange(len(means))[::-1]
    lo, hi = min(means.min(), overall), max(means.max(), overall)
    pad = (hi - lo) * 0.15 + 0.5
    ax.hlines(y, overall, means, color="#bbbbbb", linewidth=1.2, zorder=1)
    ax.scatter(means, y, color=OKABE_ITO[0], s=36, zorder=2)
    for yi, m in zip(y, means):   # the value on the side away from the stem
        above = m >= overall
        ax.annotate(fmt(m), (m, yi), xytext=(6 if above else -6, 0), textcoords="offset points",
                    va="center", ha="left" if above else "right", fontsize=7)
    ax.set_xlim(lo - pad, hi + pad)
    _mean_line(ax, overall, overall_label, len(means) - 0.45)
    ax.set_yticks(y, [_wrap(label) for label in labels])
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.6, len(means) + 0.2)
    _number_axis(ax.xaxis, tick_fmt or fmt)
    ax.set_xlabel(xlabel)
    return fig


@functools.cache
def _hyphenator():
    """English hyphenation patterns (Pyphen, the dictionaries WeasyPrint hyphenates with)."""
    import pyphen
    return pyphen.Pyphen(lang="en_US")


def column_lines(label: str, chars: int) -> str:
    """`label` in lines of at most `chars` characters: broken between words or after a hyphen
    (`textwrap`), and a word still longer than a line at its last syllable break that fits,
    with a hyphen ("account-" / "ability"), as many times as it takes (English patterns:
    Vietnamese syllables are written apart and never need it). A word without such a break
    keeps its line."""
    lines, text = [], " ".join(label.split())
    while text:
        line = textwrap.wrap(text, chars, break_long_words=False)[0]
        rest = text[len(line):]   # as written: a space, or none after a hyphen's break
        if len(line) > chars and (parts := _hyphenator().wrap(line, chars)) and not parts[1].startswith("-"):
            line, rest = parts[0], parts[1] + rest   # the word's end goes on with the text after it
        lines.append(line)
        text = rest.lstrip()
    return "\n".join(lines)


def heat_map(row_labels, col_labels, matrix, cbar_label, fmt, gap_label: str = GAP_MARK):
    """Rows are units (in rank order), columns components; cells coloured and labelled by the
    sub-index. More than LONG rows are cut to the top and bottom ENDS around a `gap_label` row."""
    matrix = np.asarray(matrix, dtype=float)
    kept = ends(matrix.shape[0])
    labels = [row_labels[i] for i in kept]
    if len(kept) < matrix.shape[0]:
        matrix = np.vstack([matrix[kept[:ENDS]], np.full((1, matrix.shape[1]), np.nan),
                            matrix[kept[ENDS:]]])
        labels = labels[:ENDS] + [gap_label] + labels[ENDS:]
    n_rows, n_cols = matrix.shape
    # constrained: the unit names and the colour bar inside the text width, so the print does
    # not shrink the figure (and its cell values) to fit the page
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(MAX_HEIGHT_IN, 0.2 * n_rows + 1.6)), layout="constrained")
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap="cividis")
    if n_cols <= 8:  # each label across its column (~0.7 of the figure), broken between words,
        # after a hyphen, or a word longer than the column at a syllable (`column_lines`); what is
        # still longer sets a smaller type
        column_pt = A4_WIDTH_IN * 0.7 / n_cols * 72
        chars = max(6, int(column_pt / (6.5 * 0.62)))
        wrapped = [column_lines(c, chars) for c in col_labels]
        longest = max(len(word) for w in wrapped for word in w.split())
        size = max(5.0, min(6.5, column_pt * 0.92 / (0.62 * longest)))
        ax.set_xticks(range(n_cols), wrapped, fontsize=size)
    else:
        ax.set_xticks(range(n_cols), col_labels, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(n_rows), labels, fontsize=8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    norm = image.norm
    for (i, j), v in np.ndenumerate(matrix):
        if np.isfinite(v):  # dark text on the light (high) end of cividis, light text on the dark
            ax.text(j, i, fmt(v), ha="center", va="center", fontsize=8 if n_cols <= 8 else 6.5,
                    color="#000000" if norm(v) > 0.5 else "#ffffff")
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    _number_axis(bar.ax.yaxis, fmt)
    bar.set_label(cbar_label)
    return fig


def spread(targets, gap: float) -> np.ndarray:
    """Positions as near as possible to `targets` (1-D) with neighbours at least `gap` apart.

    Pool adjacent violators (Barlow et al. 1972): labels sorted by target form blocks; a block
    sits centred on the mean of its targets, and two blocks that would overlap merge, until no
    block overlaps the next. Returns positions in the order of `targets`."""
    targets = np.asarray(targets, dtype=float)
    order = np.argsort(targets, kind="stable")
    blocks: list[list[float]] = []  # [mean of targets, count]
    for t in targets[order]:
        blocks.append([t, 1])
        while len(blocks) > 1:
            (m1, c1), (m2, c2) = blocks[-2], blocks[-1]
            if (m2 - gap * (c2 - 1) / 2) - (m1 + gap * (c1 - 1) / 2) >= gap:
                break
            blocks[-2:] = [[(m1 * c1 + m2 * c2) / (c1 + c2), c1 + c2]]
    placed = np.concatenate([m + gap * (np.arange(c) - (c - 1) / 2) for m, c in blocks])
    out = np.empty_like(targets)
    out[order] = placed
    return out


def slope(labels, before, after, years, ylabel, fmt, highlight, label_fmt=None):
    """Each unit's value in two years; units in `highlight` drawn in colour and labelled at the
    right with their value (`label_fmt`, else the axis's `fmt`), labels spread apart so none
    overprints another, a thin leader to each line's end."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.2))
    marked = []
    for label, b, a, mark in zip(labels, before, after, highlight):
        if not (np.isfinite(b) and np.isfinite(a)):
            continue
        colour = OKABE_ITO[5] if a < b else OKABE_ITO[0]
        ax.plot([0, 1], [b, a], color=colour if mark else "#c8c8c8",
                linewidth=1.4 if mark else 0.7, zorder=3 if mark else 1)
        if mark:
            marked.append((label, a, colour))
    ax.set_xticks([0, 1], [str(y) for y in years])
    ax.set_xlim(-0.1, 1.6)
    _number_axis(ax.yaxis, fmt)
    ax.set_ylabel(ylabel)
    if marked:
        low, high = ax.get_ylim()
        line = _line_height(ax, 6.5)
        at = spread([a for _, a, _ in marked], line)
        for (label, a, colour), y in zip(marked, at):
            ax.plot([1, 1.02, 1.04], [a, a, y], color=colour, linewidth=0.5)
            ax.text(1.05, y, f"{label} ({(label_fmt or fmt)(a)})", va="center", fontsize=6.5, color=colour)
        ax.set_ylim(min(low, at.min() - line), max(high, at.max() + line))
    return fig


def dumbbell(labels, leaders, laggards, leader_label, laggard_label, xlabel, fmt):
    """For each metric (row): the top group's mean and the bottom group's mean, joined."""
    n = len(labels)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 0.55 * n + 1.0))
    y = np.arange(n)[::-1]
    for yi, top, bottom in zip(y, leaders, laggards):
        ax.plot([bottom, top], [yi, yi], color="#999999", linewidth=2, zorder=1)
        ax.text((top + bottom) / 2, yi + 0.18, fmt(top - bottom), ha="center", fontsize=7)
    ax.scatter(leaders, y, color=OKABE_ITO[0], s=40, zorder=2, label=leader_label)
    ax.scatter(laggards, y, color=OKABE_ITO[5], s=40, zorder=2, label=laggard_label)
    ax.set_yticks(y, labels)
    ax.set_ylim(-0.7, n - 0.3 + 0.5)
    _number_axis(ax.xaxis, fmt)
    ax.set_xlabel(xlabel)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=2, frameon=False, fontsize=7)
    return fig


def _log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 ticks between `low` and `high` (log axis), at most about seven."""
    ticks = [m * 10.0 ** e for e in range(int(np.floor(np.log10(low))), int(np.ceil(np.log10(high))) + 1)
             for m in (1, 2, 5)]
    ticks = [v for v in ticks if low <= v <= high]
    return ticks[:: -(-len(ticks) // 7)]


def _line_height(ax, fontsize: float) -> float:
    """One line of text of `fontsize` points (with leading) in the y data units of `ax`."""
    ax.figure.draw_without_rendering()  # the data limits are final
    low, high = ax.get_ylim()
    return (high - low) * 1.3 * fontsize / 72 * ax.figure.dpi / ax.get_window_extent().height


def funnel(n, p, p0, limits, outside, labels, xlabel, ylabel, fmt, max_labels=8):
    """Units' proportions against their (effective) sample size, with 95% and 99.8% limits
    around the pooled proportion (Spiegelhalter 2005), the y axis fitted to the units; units
    outside 99.8% are highlighted and the `max_labels` farthest from p0 are named in a column
    right of the plot, spread so none overprints another, each joined to its point. Sample sizes are whole numbers: the log axis
    has 1-2-5 ticks in `fmt`."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.6))
    fig.subplots_adjust(right=0.7)
    n = np.asarray(n, dtype=float)
    p = np.asarray(p, dtype=float)
    grid = np.geomspace(max(n.min() * 0.8, 1), n.max() * 1.2, 200)
    for (lo, hi), style in zip(limits(grid), ("--", ":")):
        ax.plot(grid, lo, color=GREY, linestyle=style, linewidth=0.9)
        ax.plot(grid, hi, color=GREY, linestyle=style, linewidth=0.9)
    ax.axhline(p0, color="#000000", linewidth=0.8)
    flagged = np.asarray([o in ("above", "below") for o in outside])
    ax.scatter(n[~flagged], p[~flagged], s=12, color=OKABE_ITO[0], alpha=0.8)
    ax.scatter(n[flagged], p[flagged], s=22, color=OKABE_ITO[5])
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    finite = np.r_[p[np.isfinite(p)], p0]  # the units, not the limits at tiny samples, set the scale
    extent = finite.max() - finite.min()
    ax.set_ylim(finite.min() - extent * 0.25 - 0.5, finite.max() + extent * 0.05 + 0.3)
    ax.xaxis.set_major_locator(FixedLocator(_log_ticks(grid[0], grid[-1])))
    ax.xaxis.set_minor_formatter(NullFormatter())
    _number_axis(ax.xaxis, fmt)
    _number_axis(ax.yaxis, fmt)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    distance = np.where(flagged, np.abs(p - p0) * np.sqrt(n), -1)
    chosen = [i for i in np.argsort(-distance, kind="stable")[:max_labels] if flagged[i]]
    if chosen:
        at = spread(p[chosen], _line_height(ax, 6.5))
        for i, y in zip(chosen, at):
            ax.annotate(labels[i], (n[i], p[i]), xytext=(1.03, y),
                        textcoords=("axes fraction", "data"), va="center", fontsize=6.5,
                        annotation_clip=False,
                        arrowprops={"arrowstyle": "-", "color": GREY, "linewidth": 0.5,
                                    "shrinkA": 0, "shrinkB": 3})
    return fig


TILE_IN = 0.31  # a tile's side: a four-letter label at 6.5 pt fits inside; the map fills its page


def _row_major(entries: list, ncol: int) -> list:
    """`entries` in the order that makes a legend of `ncol` columns read row by row: matplotlib
    fills its columns one after the other (the first n mod ncol of them one entry longer)."""
    nrows = -(-len(entries) // ncol)
    return [entries[i * ncol + j] for j in range(ncol) for i in range(nrows) if i * ncol + j < len(entries)]


def tile_map(rows, cols, labels, colours, legend, key, blank=()):
    """A tile-grid map: one square per unit at its (row, col) in a schematic layout, coloured
    by band and labelled with its short code (7.5 pt, 6.5 for four letters); `legend` is [(band label, colour)] above
    the map, `key` [(code, name)] the codes spelled out in columns beside it, so no reader is
    left with codes alone; `blank` [(row, col)] squares of the grid outlined empty (units of
    other years). No map file is needed."""
    rows, cols = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
    height = max([rows.max()] + [r for r, _ in blank]) + 1
    width = max([cols.max()] + [c for _, c in blank]) + 1
    map_in = TILE_IN * width
    fig = plt.figure(figsize=(A4_WIDTH_IN, TILE_IN * height + 0.5))
    ax = fig.add_axes((0, 0, map_in / A4_WIDTH_IN, TILE_IN * height / (TILE_IN * height + 0.5)))
    for r, c in blank:
        ax.add_patch(plt.Rectangle((c + 0.03, -r + 0.03), 0.88, 0.88, fill=False, edgecolor="#c8c8c8",
                                   linewidth=0.6))
    for r, c, label, colour in zip(rows, cols, labels, colours):
        ax.add_patch(plt.Rectangle((c, -r), 0.94, 0.94, color=colour, linewidth=0))
        ax.text(c + 0.47, -r + 0.47, label, ha="center", va="center", fontsize=7.5 if len(label) < 4 else 6.5,
                color="#ffffff" if colour in BAND_COLOURS[:1] + BAND_COLOURS[3:4] else "#000000")
    ax.set_xlim(0, width)
    ax.set_ylim(-height + 1, 1)
    ax.axis("off")
    # one row if it fits the page's width (each entry: its text, a handle and the spacing, about
    # 3 em), else two, read row by row: the Vietnamese band names are twice as long as the English
    one_row = sum(len(label) * CHAR_EM + 3 for label, _ in legend) * 7 / 72 <= A4_WIDTH_IN
    ncol = len(legend) if one_row else -(-len(legend) // 2)
    legend = _row_major(legend, ncol)
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for _, colour in legend]
    fig.legend(handles, [label for label, _ in legend], loc="lower left", ncol=ncol,
               bbox_to_anchor=(0, TILE_IN * height / (TILE_IN * height + 0.5)), frameon=False,
               fontsize=7, handlelength=1.0, columnspacing=1.2, borderaxespad=0.1)
    columns = 2
    per_column = -(-len(key) // columns)
    left = (map_in + 0.25) / A4_WIDTH_IN
    step = (1 - left) / columns
    line = TILE_IN * height / max(per_column, 1) / (TILE_IN * height + 0.5)
    for i, (code, name) in enumerate(key):
        x, y = left + step * (i // per_column), TILE_IN * height / (TILE_IN * height + 0.5) - line * (i % per_column + 0.5)
        fig.text(x, y, code, fontsize=7, fontweight="bold", va="center")
        fig.text(x + 0.06, y, name, fontsize=7, va="center")
    return fig


def rank_ranges(labels, nominal, median, low, high, xlabel, legend, fmt):
    """Rank uncertainty (Saisana et al. 2005; OECD/JRC Handbook 2008, fig. 7.1): one row per unit
    in nominal-rank order, best at the top; a whisker from the 5th to the 95th percentile rank
    of the Monte Carlo draws, a dot at the median rank, a bar at the nominal rank. Every unit is
    drawn (a tall figure, rows at 6.5 pt): the point is to see which ranks are firm. `legend`:
    the labels of (range, median, nominal)."""
    nominal, median, low, high = (np.asarray(v, dtype=float) for v in (nominal, median, low, high))
    n = len(labels)
    y = np.arange(n)[::-1].astype(float)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(MAX_HEIGHT_IN, max(2.0, 0.125 * n + 1.0))))
    fig.subplots_adjust(top=0.95, bottom=0.06)  # the rows get the height (saved with a tight box)
    ax.hlines(y, 0.5, low, color="#eeeeee", linewidth=0.6, zorder=0)  # leads the eye from the name
    ax.hlines(y, low, high, color=GREY, linewidth=1.6, zorder=2, label=legend[0])
    ax.scatter(median, y, color=OKABE_ITO[0], s=14, zorder=3, label=legend[1])
    ax.scatter(nominal, y, color=OKABE_ITO[5], marker="|", s=40, linewidths=1.3, zorder=4,
               label=legend[2])
    ax.set_yticks(y, [_wrap(label, 40) for label in labels], fontsize=6.5 if n > 25 else 8)
    ax.tick_params(axis="y", length=0)
    ax.set_ylim(-0.8, n - 0.2)
    top = int(max(np.nanmax(high), n))
    ax.set_xlim(0.5, top + 0.5)           # ranks start at 1: no rank 0 on the axis
    _count_axis(ax.xaxis, fmt)
    step = 10 if top > 30 else 5 if top > 10 else 1
    ax.set_xticks(sorted({1, *range(step, top + 1, step)}))
    ax.xaxis.set_ticks_position("both")
    ax.tick_params(axis="x", labeltop=True)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.6)
    ax.legend(loc="lower center", bbox_to_anchor=(0.5, 1.03), ncol=3, frameon=False, fontsize=7)
    return fig
