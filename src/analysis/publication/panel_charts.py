"""Charts of an index over the years, in the style of `charts` (A4 width, DejaVu Sans, Okabe–Ito
colours, labels passed in already translated). A method version break is drawn on every chart
as a dashed vertical line between the last year of one version and the first of the next, and
no line joins two years across it (the scales differ)."""
from __future__ import annotations

import numpy as np
from matplotlib.patches import PathPatch
from matplotlib.path import Path
from matplotlib.ticker import MaxNLocator

from analysis.publication.charts import A4_WIDTH_IN, GREY, OKABE_ITO, plt

BREAK = {"color": "#b00020", "linestyle": "--", "linewidth": 0.8}


def _breaks(ax, breaks, label: str = "") -> None:
    """A dashed line halfway between the years on either side of each break (`breaks`: the
    first years of the new versions)."""
    for i, year in enumerate(breaks):
        ax.axvline(year - 0.5, **BREAK, label=label if i == 0 else None)


def _segments(ax, years, values, methods, **style) -> None:
    """One line per stretch of years under one method version (gaps leave holes)."""
    years, values = np.asarray(years), np.asarray(values, dtype=float)
    methods = np.asarray(methods)
    for method in dict.fromkeys(methods):
        part = methods == method
        ax.plot(years[part], values[part], **style)


def _year_axis(ax, years) -> None:
    ax.set_xlim(min(years) - 0.6, max(years) + 0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))


def small_multiples(panels, years, methods, breaks, mean, ylabel, fmt, columns: int = 7):
    """One small chart per unit (`panels`: (title, values by year)), on each version's own
    scale, the mean of the units (`mean` by year) in grey behind; shared axes.

    Drawn as a grid of panels inside one set of axes (a few collections, not 63 Axes): about
    twenty times faster to draw, and a light SVG for WeasyPrint."""
    rows = -(-len(panels) // columns)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 0.86 * rows + 0.3))   # heading, chart and caption on one page
    years = np.asarray(years, dtype=float)
    methods = np.asarray(methods)
    finite = np.concatenate([v[np.isfinite(v)] for _, v in panels] + [np.asarray(mean)[np.isfinite(mean)]])
    ticks = [v for v in MaxNLocator(nbins=3).tick_values(finite.min(), finite.max())]
    low, high = min(ticks[0], finite.min()), max(ticks[-1], finite.max())
    x0, x1 = years.min() - 0.6, years.max() + 0.6
    width, height, gap_x, gap_y = 1.0, 1.0, 0.16, 0.62    # one panel is 1 × 1 in axes units

    def place(k):
        r, c = divmod(k, columns)
        return c * (width + gap_x), -r * (height + gap_y)

    def xy(k, x, y):
        ox, oy = place(k)
        return ox + (x - x0) / (x1 - x0) * width, oy + (y - low) / (high - low) * height

    grid, frames, breaks_at, greys, blues, alone = [], [], [], [], [], []
    for k, (title, values) in enumerate(panels):
        ox, oy = place(k)
        frames += [[(ox, oy + height), (ox, oy), (ox + width, oy)]]
        grid += [[xy(k, x0, t), xy(k, x1, t)] for t in ticks if low <= t <= high]
        breaks_at += [[xy(k, b - 0.5, low), xy(k, b - 0.5, high)] for b in breaks]
        for method in dict.fromkeys(methods):
            part = methods == method
            for series, out in ((np.asarray(mean, dtype=float), greys), (values, blues)):
                ok = part & np.isfinite(series)
                out.append(np.column_stack(xy(k, years[ok], series[ok])))
        # a year with no neighbour on its line (gaps either side, or a break) gets a dot
        for i in np.flatnonzero(np.isfinite(values)):
            joined = [j for j in (i - 1, i + 1) if 0 <= j < len(values)
                      and np.isfinite(values[j]) and methods[j] == methods[i]]
            if not joined:
                alone.append(xy(k, years[i], values[i]))
        ax.text(ox + width / 2, oy + height + 0.06, title, ha="center", va="bottom", fontsize=6)
        r, c = divmod(k, columns)
        if c == 0:
            for t in ticks:
                if low <= t <= high:
                    ax.text(ox - 0.04, xy(k, x0, t)[1], fmt(t), ha="right", va="center", fontsize=5.5)
        if r == rows - 1 or k + columns >= len(panels):   # flush with the frame's ends: a
            for year, x, ha in ((years.min(), ox, "left"),   # centred pair ran into the next
                                (years.max(), ox + width, "right")):   # panel's ("20242011")
                ax.text(x, oy - 0.06, f"{year:.0f}", ha=ha, va="top", fontsize=5.5)
    _polylines(ax, grid, color="#eeeeee", linewidth=0.5)
    _polylines(ax, frames, color="#1a1a1a", linewidth=0.6)
    _polylines(ax, breaks_at, color=BREAK["color"], linewidth=0.7, linestyle="--")
    _polylines(ax, greys, color="#bbbbbb", linewidth=0.9)
    _polylines(ax, blues, color=OKABE_ITO[0], linewidth=1.1)
    if alone:
        ax.scatter(*np.array(alone).T, s=2.5, color=OKABE_ITO[0], linewidths=0)
    ax.set_xlim(-0.3, columns * (width + gap_x))
    ax.set_ylim(-(rows - 1) * (height + gap_y) - 0.25, height + 0.25)
    ax.set_axis_off()
    fig.supylabel(ylabel, fontsize=7)
    fig.subplots_adjust(left=0.05, right=0.99, top=0.99, bottom=0.01)
    return fig


def _polylines(ax, lines, **style) -> None:
    """Many polylines as one compound path: one SVG element, not one per line."""
    lines = [np.asarray(line, dtype=float) for line in lines if len(line) > 1]
    if not lines:
        return
    codes = np.concatenate([[Path.MOVETO] + [Path.LINETO] * (len(line) - 1) for line in lines])
    ax.add_patch(PathPatch(Path(np.concatenate(lines), codes), fill=False, **style))


def rank_heat_map(labels, years, ranks, breaks, cbar_label):
    """Units (rows, in the order given) by years, coloured by rank (1 darkest); no rank: white."""
    ranks = np.asarray(ranks, dtype=float)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(9.0, 0.125 * len(labels) + 1.0)))
    cmap = plt.get_cmap("viridis").with_extremes(bad="#ffffff")
    image = ax.imshow(np.ma.masked_invalid(ranks), aspect="auto", cmap=cmap,
                      extent=(years[0] - 0.5, years[-1] + 0.5, len(labels) - 0.5, -0.5))
    for i, year in enumerate(years):
        for j in np.flatnonzero(~np.isfinite(ranks[:, i])):
            ax.text(year, j, "–", ha="center", va="center", fontsize=4.5, color=GREY)
    _breaks(ax, breaks)
    ax.set_yticks(range(len(labels)), labels, fontsize=4.6)
    ax.set_xticks(years, [str(y) for y in years], fontsize=6.5)
    ax.spines[["left", "bottom"]].set_visible(False)
    bar = fig.colorbar(image, ax=ax, fraction=0.03, pad=0.02)
    bar.ax.invert_yaxis()
    bar.set_label(cbar_label)
    return fig


def yearly_statistic(years, values, methods, breaks, ylabel, fmt, break_label, like=None,
                     trends=()):
    """A statistic by year (rank persistence, dispersion), a hollow marker where `like` is False
    (a comparison across a break), and optional fitted lines `trends`: (years, fitted values)."""
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, 2.5))
    _segments(ax, years, values, methods, color=OKABE_ITO[0], linewidth=1.2)
    values = np.asarray(values, dtype=float)
    hollow = np.zeros(len(values), dtype=bool) if like is None else ~np.asarray(like, dtype=bool)
    ax.scatter(np.asarray(years)[~hollow], values[~hollow], color=OKABE_ITO[0], s=14, zorder=3)
    ax.scatter(np.asarray(years)[hollow], values[hollow], facecolor="white",
               edgecolor=OKABE_ITO[5], s=18, zorder=3, linewidth=1.1)
    for x, fitted in trends:
        ax.plot(x, fitted, color=OKABE_ITO[1], linewidth=1.0, linestyle=":")
    _breaks(ax, breaks, break_label)
    _year_axis(ax, years)
    ax.yaxis.set_major_formatter(lambda v, _pos: fmt(v))
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    if breaks:
        ax.legend(loc="best", fontsize=7, frameon=False)
    return fig


# --- the unit profiles' charts, written as SVG text directly ---------------------------------------
# A profile book draws ~60 pages per edition; matplotlib takes ~0.1 s a chart, and WeasyPrint
# draws SVG text glyph by glyph, so this chart is written by hand in the same palette and font,
# with as few labels as it needs (the year ends and breaks, three values a panel).

def _svg(width: float, height: float, parts: list[str]) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:g}pt" height="{height:g}pt" '
            f'viewBox="0 0 {width:g} {height:g}">' + "".join(parts) + "</svg>")


def _text(x, y, text, anchor="start") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-family="DejaVu Sans" font-size="6.5" '
            f'text-anchor="{anchor}" fill="#555555">{text}</text>')


def history_svg(years, points, ranks, methods, breaks, n_units: int, fmt) -> str:
    """A unit's points (left, each version's own scale) and rank (right, 1 at the top) by year:
    only numbers as text, so one drawing serves both editions."""
    width, height, gap, margin = 482.0, 104.0, 36.0, 22.0
    panel_w = (width - gap) / 2 - margin
    years = list(years)
    x0, x1 = min(years) - 0.5, max(years) + 0.5
    labelled = sorted({years[0], years[-1], *breaks})
    parts: list[str] = []

    def panel(left: float, values, low, high, ticks, colour, label):
        top, bottom = 5.0, height - 14.0

        def px(year):
            return left + (year - x0) / (x1 - x0) * panel_w

        def py(v):
            return bottom - (v - low) / (high - low) * (bottom - top)
        for tick in ticks:
            parts.append(f'<line x1="{left:.1f}" x2="{left + panel_w:.1f}" y1="{py(tick):.1f}" '
                         f'y2="{py(tick):.1f}" stroke="#e6e6e6" stroke-width="0.6"/>')
            parts.append(_text(left - 3, py(tick) + 2.3, label(tick), "end"))
        for year in breaks:
            parts.append(f'<line x1="{px(year - 0.5):.1f}" x2="{px(year - 0.5):.1f}" y1="{top}" '
                         f'y2="{bottom}" stroke="{BREAK["color"]}" stroke-width="0.8" '
                         'stroke-dasharray="3,2"/>')
        parts.extend(_text(px(year), height - 4, year, "middle") for year in labelled)
        for method in dict.fromkeys(methods):
            run = [(px(y), py(v)) for y, v, m in zip(years, values, methods)
                   if m == method and np.isfinite(v)]
            if len(run) > 1:
                line = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
                parts.append(f'<polyline points="{line}" fill="none" stroke="{colour}" '
                             'stroke-width="1.4"/>')
            parts.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="1.8" fill="{colour}"/>' for x, y in run)

    values = np.asarray(points, dtype=float)
    finite = values[np.isfinite(values)]
    low, high = (finite.min(), finite.max()) if len(finite) else (0.0, 1.0)
    ticks = list(MaxNLocator(nbins=2).tick_values(low, high))
    panel(margin, values, min(ticks[0], low), max(ticks[-1], high), ticks, OKABE_ITO[0], fmt)
    rank_ticks = [1, (n_units + 1) // 2, n_units]
    panel(margin + panel_w + gap + margin, -np.asarray(ranks, dtype=float), -n_units - 1, 0,
          [-t for t in rank_ticks], OKABE_ITO[5], lambda v: f"{-v:.0f}")
    return _svg(width, height, parts)


def bars_svg(rows, pitch: float, width: float = 200.0) -> str:
    """Shapes only (the labels and values are the page's text): per row a bar of the unit's value
    (percent of the axis), a black tick at the national mean and an orange one at the region's;
    `rows`: dicts with bar, national, region in percent (None = none); `pitch` the row height."""
    parts = []
    for i, row in enumerate(rows):
        top = i * pitch + pitch * 0.2
        bar_h = pitch * 0.6
        parts.append(f'<rect x="0" y="{top:.2f}" width="{width:g}" height="{bar_h:.2f}" fill="#eeeeee"/>')
        if row["bar"] is not None:
            parts.append(f'<rect x="0" y="{top:.2f}" width="{width * row["bar"] / 100:.2f}" '
                         f'height="{bar_h:.2f}" fill="{OKABE_ITO[4]}"/>')
        for key, colour in (("region", OKABE_ITO[1]), ("national", "#1a1a1a")):
            if row[key] is not None:
                x = width * row[key] / 100
                parts.append(f'<rect x="{x - 1:.2f}" y="{top - 1.5:.2f}" width="2" '
                             f'height="{bar_h + 3:.2f}" fill="{colour}"/>')
    return _svg(width, pitch * len(rows), parts)
