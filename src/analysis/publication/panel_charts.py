"""Charts of an index over the years, in the style of `charts` (A4 width, DejaVu Sans, Okabe–Ito
colours, labels passed in already translated). A method version break is drawn on every chart
as a dashed vertical line between the last year of one version and the first of the next, and
no line joins two years across it (the scales differ)."""
from __future__ import annotations

import numpy as np
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
    scale, the national mean (`mean` by year) in grey behind; shared axes."""
    rows = -(-len(panels) // columns)
    fig, axes = plt.subplots(rows, columns, figsize=(A4_WIDTH_IN, 1.02 * rows + 0.3),
                             sharex=True, sharey=True, squeeze=False)
    for ax, (title, values) in zip(axes.flat, panels):
        _segments(ax, years, mean, methods, color="#bbbbbb", linewidth=0.9)
        _segments(ax, years, values, methods, color=OKABE_ITO[0], linewidth=1.2, marker="o",
                  markersize=1.6)
        _breaks(ax, breaks)
        ax.set_title(title, fontsize=6, pad=2)
        ax.tick_params(labelsize=5.5, length=2, pad=1)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    for ax in axes.flat[len(panels):]:
        ax.set_visible(False)
    _year_axis(axes.flat[0], years)
    axes.flat[0].yaxis.set_major_locator(MaxNLocator(nbins=3))
    axes.flat[0].yaxis.set_major_formatter(lambda v, _pos: fmt(v))
    fig.supylabel(ylabel, fontsize=7)
    fig.subplots_adjust(hspace=0.55, wspace=0.12, left=0.08, right=0.99, top=0.98, bottom=0.03)
    return fig


def rank_heat_map(labels, years, ranks, breaks, cbar_label):
    """Units (rows, in the order given) by years, coloured by rank (1 darkest); no rank: white."""
    ranks = np.asarray(ranks, dtype=float)
    fig, ax = plt.subplots(figsize=(A4_WIDTH_IN, min(9.0, 0.125 * len(labels) + 1.0)))
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_bad("#ffffff")
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


def unit_history(years, points, ranks, methods, breaks, n_units, fmt):
    """A unit's points (own scale of each version) and rank (1 at the top) over the years: two
    narrow panels whose only text is numbers (years, points, ranks), so one drawing serves
    both editions; their titles are in the page."""
    fig, (left, right) = plt.subplots(1, 2, figsize=(A4_WIDTH_IN, 1.55))
    _segments(left, years, points, methods, color=OKABE_ITO[0], linewidth=1.4, marker="o",
              markersize=2.5)
    _segments(right, years, ranks, methods, color=OKABE_ITO[5], linewidth=1.4, marker="o",
              markersize=2.5)
    right.set_ylim(n_units + 1, 0)
    right.yaxis.set_major_locator(MaxNLocator(integer=True, nbins=4))
    left.yaxis.set_major_formatter(lambda v, _pos: fmt(v))
    for ax in (left, right):
        _breaks(ax, breaks)
        _year_axis(ax, years)
        ax.tick_params(labelsize=6.5)
        ax.grid(axis="y", color="#eeeeee", linewidth=0.5)
    fig.subplots_adjust(wspace=0.18, left=0.06, right=0.99, top=0.97, bottom=0.14)
    return fig

