"""One chart style for print and screen: A4 width, DejaVu Sans (every Vietnamese letter),
a colour-blind-safe palette (Okabe & Ito 2008), text kept as text in SVG, labels passed in
already translated. Each function returns a matplotlib Figure; `to_svg` serialises it
deterministically (fixed hash salt, no date metadata)."""
from __future__ import annotations

import io
import textwrap

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
BAND_COLOURS = ["#0072B2", "#56B4E9", "#E69F00", "#D55E00", "#CC79A7", "#999999"]
GREY = "#6b6b6b"
A4_WIDTH_IN = 6.7  # text width of an A4 page with 2 cm margins

plt.rcParams.update({
    "font.family": "DejaVu Sans", "font.size": 8, "axes.titlesize": 9, "axes.labelsize": 8,
    "axes.spines.top": False, "axes.spines.right": False, "svg.fonttype": "none",
    "svg.hashsalt": "par-reports", "figure.dpi": 100, "axes.axisbelow": True,
})


def to_svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return buffer.getvalue()


def _number_axis(axis, fmt) -> None:
    axis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt(v)))


def ranked_bars(labels, values, colours, mean, mean_label, xlabel, fmt, low=None, high=None):
    """Horizontal bars, best at the top, a dashed line at the mean, optional interval whiskers."""
    n = len(values)
    # at most 8.4 in tall, so a heading and the chart fit on one A4 page
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(8.4, max(2.0, 0.16 * n + 0.8))))
    y = np.arange(n)[::-1]
    ax.barh(y, values, color=colours, height=0.72)
    if low is not None:
        below = np.clip(np.asarray(values) - low, 0, None)  # rounding can put p a hair outside
        above = np.clip(np.asarray(high) - values, 0, None)
        ax.errorbar(values, y, xerr=[below, above],
                    fmt="none", ecolor="#333333", elinewidth=0.8, capsize=1.5)
    ax.axvline(mean, color="#000000", linestyle="--", linewidth=0.9)
    ax.text(mean, n - 0.2, mean_label, ha="left", va="bottom", fontsize=7)
    ax.set_yticks(y, labels, fontsize=8 if n <= 30 else (6.5 if n <= 60 else 4.6))
    ax.set_ylim(-0.7, n + 0.6)
    finite = np.asarray(values, dtype=float)[np.isfinite(values)]
    lo = min(finite.min(), mean) if len(finite) else 0
    hi = max(finite.max(), mean) if len(finite) else 1
    ax.set_xlim(max(0, lo - (hi - lo) * 0.35 - 1), hi + (hi - lo) * 0.08 + 0.5)
    _number_axis(ax.xaxis, fmt)
    ax.set_xlabel(xlabel)
    ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    return fig


def band_counts(labels, counts, ylabel):
    """Number of units in each band, bands in their order (highest first)."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 2.4))
    bars = ax.bar(range(len(counts)), counts, color=BAND_COLOURS[: len(counts)])
    ax.bar_label(bars, labels=[str(c) for c in counts], padding=2)
    ax.set_xticks(range(len(counts)), [textwrap.fill(label, 16) for label in labels], fontsize=7)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, max(max(counts, default=0) * 1.18, 1))
    return fig


def group_means(labels, means, overall, overall_label, xlabel, fmt):
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 0.35 * len(means) + 0.9))
    y = np.arange(len(means))[::-1]
    ax.barh(y, means, color=OKABE_ITO[0], height=0.6)
    for yi, m in zip(y, means):
        ax.text(m, yi, " " + fmt(m), va="center", fontsize=7)
    ax.axvline(overall, color="#000000", linestyle="--", linewidth=0.9)
    ax.text(overall, len(means) - 0.45, overall_label, ha="left", va="bottom", fontsize=7)
    ax.set_yticks(y, labels)
    lo, hi = min(min(means), overall), max(max(means), overall)
    ax.set_xlim(max(0, lo - (hi - lo) - 1), hi + (hi - lo) * 0.3 + 1)
    ax.set_ylim(-0.6, len(means) + 0.2)
    _number_axis(ax.xaxis, fmt)
    ax.set_xlabel(xlabel)
    return fig


def heat_map(row_labels, col_labels, matrix, cbar_label, fmt):
    """Rows are units, columns components; cells coloured and labelled by the sub-index."""
    matrix = np.asarray(matrix, dtype=float)
    n_rows, n_cols = matrix.shape
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 0.17 * n_rows + 1.6))
    image = ax.imshow(np.ma.masked_invalid(matrix), aspect="auto", cmap="cividis")
    ax.set_xticks(range(n_cols), col_labels, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(n_rows), row_labels, fontsize=6.5 if n_rows > 30 else 8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    if n_rows <= 40:
        threshold = np.nanmean(matrix)
        for (i, j), v in np.ndenumerate(matrix):
            if np.isfinite(v):
                ax.text(j, i, fmt(v), ha="center", va="center", fontsize=6,
                        color="#000000" if v > threshold else "#ffffff")
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.set_label(cbar_label)
    return fig


def slope(labels, before, after, years, ylabel, fmt, highlight):
    """Each unit's value in two years; units in `highlight` drawn in colour and labelled."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.6))
    for label, b, a, marked in zip(labels, before, after, highlight):
        if not (np.isfinite(b) and np.isfinite(a)):
            continue
        colour = OKABE_ITO[5] if a < b else OKABE_ITO[0]
        ax.plot([0, 1], [b, a], color=colour if marked else "#c8c8c8",
                linewidth=1.4 if marked else 0.7, zorder=3 if marked else 1)
        if marked:
            ax.text(1.03, a, f"{label} ({fmt(a)})", va="center", fontsize=6.5, color=colour)
    ax.set_xticks([0, 1], [str(y) for y in years])
    ax.set_xlim(-0.1, 1.6)
    _number_axis(ax.yaxis, fmt)
    ax.set_ylabel(ylabel)
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


def funnel(n, p, p0, limits, outside, labels, xlabel, ylabel, fmt, max_labels=8):
    """Units' proportions against their (effective) sample size, with 95% and 99.8% limits
    around the pooled proportion (Spiegelhalter 2005); units outside 99.8% are highlighted and
    the `max_labels` farthest from p0 are labelled."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 3.6))
    n = np.asarray(n, dtype=float)
    grid = np.geomspace(max(n.min() * 0.8, 1), n.max() * 1.2, 200)
    for (lo, hi), style in zip(limits(grid), ("--", ":")):
        ax.plot(grid, lo, color=GREY, linestyle=style, linewidth=0.9)
        ax.plot(grid, hi, color=GREY, linestyle=style, linewidth=0.9)
    ax.axhline(p0, color="#000000", linewidth=0.8)
    flagged = np.asarray([o in ("above", "below") for o in outside])
    ax.scatter(n[~flagged], np.asarray(p)[~flagged], s=12, color=OKABE_ITO[0], alpha=0.8)
    ax.scatter(n[flagged], np.asarray(p)[flagged], s=22, color=OKABE_ITO[5])
    distance = np.where(flagged, np.abs(np.asarray(p) - p0) * np.sqrt(n), -1)
    for i in np.argsort(-distance, kind="stable")[:max_labels]:
        if flagged[i]:
            ax.annotate(labels[i], (n[i], p[i]), xytext=(4, 2), textcoords="offset points", fontsize=6.5)
    ax.set_xscale("log")
    _number_axis(ax.yaxis, fmt)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}".replace(",", "\u2009")))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    return fig


def tile_map(rows, cols, labels, colours, legend):
    """A tile-grid map: one square per unit at its (row, col) in a schematic layout, coloured
    by band; `legend` is [(label, colour)]. No map file is needed."""
    rows, cols = np.asarray(rows, dtype=int), np.asarray(cols, dtype=int)
    height = rows.max() + 1
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN * 0.5, 0.21 * height + 0.4))
    for r, c, label, colour in zip(rows, cols, labels, colours):
        ax.add_patch(plt.Rectangle((c, -r), 0.94, 0.94, color=colour, linewidth=0))
        ax.text(c + 0.47, -r + 0.47, label, ha="center", va="center", fontsize=4.5,
                color="#ffffff" if colour in BAND_COLOURS[:1] + BAND_COLOURS[3:4] else "#000000")
    ax.set_xlim(-0.1, cols.max() + 1.1)
    ax.set_ylim(-height + 0.9, 1.05)
    ax.set_aspect("equal")
    ax.axis("off")
    handles = [plt.Rectangle((0, 0), 1, 1, color=colour) for _, colour in legend]
    ax.legend(handles, [label for label, _ in legend], loc="upper left", bbox_to_anchor=(1.0, 1.0),
              frameon=False, fontsize=5.5, handlelength=1.0)
    return fig
