"""Charts a newspaper can reuse: 300-dpi PNG beside the SVG, the edition's number format on
every axis, whole-number count axes, bars from zero, long rankings cut to their ends, labels
that do not overprint, every Vietnamese letter drawn, a colour-blind-safe palette."""
import itertools
import unicodedata
import warnings

import numpy as np
import pytest
from matplotlib.patches import Rectangle
from matplotlib.text import Text
from PIL import Image

from analysis.publication import charts
from analysis.publication.formatting import fmt_number


def vi(decimals):
    return lambda v: fmt_number(v, "vi", decimals)


def tick_texts(axis):
    return [t.get_text() for t in axis.get_ticklabels() if t.get_text()]


def top_down(axis):
    """The tick labels of a y axis from the top of the chart down."""
    ticks = sorted(zip(axis.get_ticklocs(), axis.get_ticklabels()), key=lambda p: -p[0])
    labels = [t.get_text() for _, t in ticks]
    return labels if not axis.axes.yaxis_inverted() else labels[::-1]


def drawn(fig):
    fig.canvas.draw()
    return fig


def test_png_at_300_dpi_beside_the_svg(tmp_path):
    fig = charts.band_counts(["A", "B"], [3, 4], "Số đơn vị")
    inches = fig.get_figwidth()
    svg = charts.save(fig, tmp_path / "figures", "02-bands")
    assert (tmp_path / "figures" / "02-bands.svg").read_text(encoding="utf-8") == svg
    with Image.open(tmp_path / "figures" / "02-bands.png") as png:
        assert [round(d) for d in png.info["dpi"]] == [300, 300]
        assert png.width >= 0.8 * inches * 300  # the figure's width (less white space) at 300 dpi


def test_same_figure_same_bytes(tmp_path):
    for folder in ("a", "b"):
        charts.save(charts.slope(list("ABC"), [1.0, 2.0, 3.0], [2.0, 2.1, 2.2], (2015, 2016), "y",
                                 vi(1), [True] * 3), tmp_path / folder, "f")
    for ext in ("svg", "png"):
        assert (tmp_path / "a" / f"f.{ext}").read_bytes() == (tmp_path / "b" / f"f.{ext}").read_bytes()


def test_shared_text_metrics_draw_what_matplotlib_draws(tmp_path, monkeypatch):
    """The text measures shared across renderers (`charts._shared_text_metrics`) give the same
    files as matplotlib's own per-renderer cache: SVG bytes and PNG pixels."""
    import matplotlib.text

    def chart():
        return charts.slope(["Hà Nội", "Đà Nẵng", "Cần Thơ"], [1.0, 2.0, 3.0], [2.0, 2.1, 2.2],
                            (2015, 2016), "Điểm", vi(1), [True] * 3)
    svg = charts.save(chart(), tmp_path / "shared", "f")
    with monkeypatch.context() as patched:
        patched.setattr(matplotlib.text, "_get_text_metrics_with_cache",   # matplotlib's own, per renderer
                        lambda renderer, text, font, ismath, dpi:
                        matplotlib.text._get_text_metrics_function(renderer)(text, font.copy(), ismath, dpi))
        reference = charts.save(chart(), tmp_path / "own", "f")
    assert matplotlib.text._get_text_metrics_with_cache is charts._shared_text_metrics
    assert svg == reference
    with Image.open(tmp_path / "shared" / "f.png") as ours, Image.open(tmp_path / "own" / "f.png") as own:
        assert ours.size == own.size and ours.tobytes() == own.tobytes()


def test_shared_text_layouts_draw_what_matplotlib_draws(tmp_path, monkeypatch):
    """The text layouts shared across measures and draws (`charts._shared_text_layout`) give
    the same files as matplotlib laying each text out afresh: SVG bytes and PNG pixels, for
    rotated and wrapped labels, a colour bar under a constrained layout, a legend and a map's
    many small labels."""
    import matplotlib.text

    def figures():
        long = "Ủy ban Dân tộc và Miền núi, một tên rất dài cần xuống dòng"
        units = [("HN", "Hà Nội"), ("ĐN", "Đà Nẵng"), ("CT", "Cần Thơ")]
        return {
            "heat": charts.heat_map(["Hà Nội", long, "Cần Thơ"],
                                    ["Tham gia", "Công khai", "Trách nhiệm"],
                                    np.array([[1.0, 2.0, np.nan], [2.5, 3.0, 1.5], [0.5, 1.0, 2.0]]),
                                    "Điểm", vi(1)),
            "bars": charts.ranked_bars([long, "Đà Nẵng", "Huế"], np.array([40.5, 42.25, 44.0]),
                                       ["#0072B2"] * 3, 42.0, "Trung bình", "Điểm", vi(2)),
            "tiles": charts.tile_map([0, 0, 1], [0, 1, 1], [code for code, _ in units],
                                     ["#0072B2", "#E69F00", "#D55E00"],
                                     [("Cao", "#0072B2"), ("Thấp", "#D55E00")], units, [(1, 0)]),
        }
    shared = {name: charts.save(fig, tmp_path / "shared", name) for name, fig in figures().items()}
    with monkeypatch.context() as patched:
        patched.setattr(matplotlib.text.Text, "_get_layout", charts._own_layout)   # matplotlib's own
        own = {name: charts.save(fig, tmp_path / "own", name) for name, fig in figures().items()}
    assert matplotlib.text.Text._get_layout is charts._shared_text_layout
    assert shared == own
    for name in own:
        with Image.open(tmp_path / "shared" / f"{name}.png") as ours, \
                Image.open(tmp_path / "own" / f"{name}.png") as theirs:
            assert ours.size == theirs.size and ours.tobytes() == theirs.tobytes()


@pytest.mark.parametrize("change", [
    {"rotation": 30}, {"rotation_mode": "anchor"}, {"horizontalalignment": "right"},
    {"verticalalignment": "top"}, {"linespacing": 2.0}, {"fontsize": 11}, {"fontweight": "bold"},
    {"multialignment": "right"}, {"wrap": True}, {"usetex": False, "parse_math": False},
])
def test_a_text_laid_out_otherwise_gets_its_own_layout(change):
    """Two texts that differ in anything their layout depends on never share one: after a text
    is laid out (and kept), one differing only in `change` is laid out as matplotlib would."""
    import matplotlib.pyplot as plt
    words = "Ủy ban nhân dân tỉnh Bà Rịa – Vũng Tàu $5 " * 6 + "\nĐà Nẵng"
    fig = plt.figure(figsize=(3, 2), dpi=100)
    renderer = fig.canvas.get_renderer()
    base = fig.text(0.1, 0.5, words, fontsize=8, rotation=45)
    other = fig.text(0.1, 0.5, words, **{"fontsize": 8, "rotation": 45, **change})
    base._renderer = other._renderer = renderer   # as drawing sets it (a wrapped text needs it)
    charts._shared_text_layout(base, renderer)
    box, lines, corner = charts._shared_text_layout(other, renderer)
    own_box, own_lines, own_corner = charts._own_layout(other, renderer)
    assert (box.bounds, lines, corner) == (own_box.bounds, own_lines, own_corner)
    assert (box.bounds, lines) != tuple(charts._own_layout(base, renderer)[:2]) or change == {
        "usetex": False, "parse_math": False}
    plt.close(fig)


def test_a_text_at_another_resolution_gets_its_own_layout():
    import matplotlib.pyplot as plt
    fig = plt.figure(figsize=(3, 2), dpi=100)
    text = fig.text(0.1, 0.5, "Thừa Thiên Huế", fontsize=8)
    low = charts._shared_text_layout(text, fig.canvas.get_renderer())
    fig.set_dpi(300)
    renderer = fig.canvas.get_renderer()   # a new one, at 300 dpi
    box, lines, corner = charts._shared_text_layout(text, renderer)
    own_box, own_lines, own_corner = charts._own_layout(text, renderer)
    assert (box.bounds, lines, corner) == (own_box.bounds, own_lines, own_corner)
    assert box.width > 2.5 * low[0].width
    plt.close(fig)


def test_count_axis_has_whole_numbers_only():
    # the old chart ticked 0,0 0,5 1,0 … 2,0 for two units: half a unit
    ax = drawn(charts.band_counts(["A", "B", "C"], [1, 2, 0], "n")).axes[0]
    ticks = [v for v in ax.get_yticks() if ax.get_ylim()[0] <= v <= ax.get_ylim()[1]]
    assert ticks and all(float(v).is_integer() for v in ticks)
    assert all(t.isdigit() for t in tick_texts(ax.yaxis))


def test_vietnamese_ticks_use_the_decimal_comma_everywhere():
    heat = drawn(charts.heat_map(["Hà Nội", "Huế"], ["a", "b"], [[51.5, 52.25], [53.0, 54.75]],
                                 "Chỉ số (%)", vi(1)))
    colour_bar = heat.axes[1]
    labels = tick_texts(colour_bar.yaxis)
    assert labels and all("," in t and "." not in t for t in labels)  # old: matplotlib's 52.0
    funnel = drawn(charts.funnel([150, 1200, 15000], [90.0, 95.0, 99.0], 95.0,
                                 lambda g: [(g * 0 + 80, g * 0 + 100), (g * 0 + 70, g * 0 + 100)],
                                 ["", "", "above"], ["a", "b", "c"], "n", "p", vi(0)))
    ax = funnel.axes[0]
    assert "1.000" in tick_texts(ax.xaxis) or "10.000" in tick_texts(ax.xaxis)  # "." groups in vi
    assert not [t for t in ax.xaxis.get_minorticklabels() if t.get_text()]


def test_ticks_are_values_the_format_prints_exactly():
    # old: ticks every 2.5 printed with no decimals, 97.5 shown as "98"
    p = np.array([100.0, 99.1, 96.4, 93.7, 91.4, 89.6, 85.0])
    fig = drawn(charts.funnel(np.array([5, 500, 2000, 3000, 4000, 1000, 5000]), p, 96.4,
                              lambda g: [(g * 0 + 95, g * 0 + 98), (g * 0 + 94, g * 0 + 99)],
                              [""] * 7, list("ABCDEFG"), "n", "p", vi(0)))
    ax = fig.axes[0]
    low, high = ax.get_ylim()
    ticks = [v for v in ax.get_yticks() if low <= v <= high]
    assert len(ticks) >= 3 and all(float(v).is_integer() for v in ticks)


def test_bars_start_at_zero():
    values = np.array([73.0, 70.5, 66.0, 61.25])  # the old axis started at 50
    ax = drawn(charts.ranked_bars(list("ABCD"), values, ["#0072B2"] * 4, 67.7, "mean", "x",
                                  vi(0))).axes[0]
    assert ax.get_xlim()[0] == 0
    assert all(p.get_x() == 0 for p in ax.patches if isinstance(p, Rectangle))


def test_bars_on_a_scale_that_starts_above_zero_start_at_its_floor():
    """PAPI's 8–80: a bar from 0 gave 8 points no province can fall below as length (review 3).
    From the floor, each bar's length is the score above the least possible (47.82 − 8 = 39.82),
    the axis starts at 8 and labels it."""
    values = np.array([47.82, 45.1, 41.38, 39.91])
    ax = drawn(charts.ranked_bars(list("ABCD"), values, ["#0072B2"] * 4, 43.43, "mean", "x",
                                  vi(0), floor=8.0)).axes[0]
    bars = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert ax.get_xlim()[0] == 8
    assert all(p.get_x() == 8 for p in bars)
    assert sorted(round(p.get_width(), 2) for p in bars) == sorted(round(v - 8, 2) for v in values)
    assert ax.get_xticks()[0] == 8 and [t.get_text() for t in ax.get_xticklabels()][0] == "8"
    # beside the floor, ticks in even steps (8, 10, 15, 20 …; review 6 read 8, 15, 20 as an
    # interval of 7 among intervals of 5)
    regular = np.diff(ax.get_xticks()[1:])
    assert ax.get_xticks()[1] == 10 and len(set(regular)) == 1
    # and ends on a labelled value past the longest bar (50, not 49.7)
    assert ax.get_xlim()[1] == ax.get_xticks()[-1] == 50


def test_groups_are_dots_not_bars_on_a_cut_axis():
    ax = drawn(charts.group_means(["Bắc", "Nam"], [60.8, 58.6], 59.9, "TB", "x", vi(1))).axes[0]
    assert ax.get_xlim()[0] > 0
    assert not [p for p in ax.patches if isinstance(p, Rectangle)]
    # each stem runs from the overall mean to its dot (review 3: from the axis's cut edge, its
    # length meant nothing)
    from matplotlib.collections import LineCollection
    stems, = [c for c in ax.collections if isinstance(c, LineCollection) and len(c.get_segments()) == 2]
    assert sorted(tuple(round(x, 6) for x in seg[:, 0]) for seg in stems.get_segments()) == [
        (59.9, 58.6), (59.9, 60.8)]


def test_long_ranking_shows_its_top_and_bottom_ten_in_readable_type():
    n = 99
    labels = [f"Đơn vị {i:02d}" for i in range(n)]
    fig = drawn(charts.ranked_bars(labels, np.linspace(90, 40, n), ["#0072B2"] * n, 65, "TB", "x",
                                   vi(0)))
    ax = fig.axes[0]
    assert top_down(ax.yaxis) == labels[:10] + [charts.GAP_MARK] + labels[-10:]
    assert len(ax.patches) == 20
    assert min(t.get_fontsize() for t in ax.yaxis.get_ticklabels()) >= 7  # old: 4.6 pt
    assert fig.get_figheight() <= charts.MAX_HEIGHT_IN
    heat = drawn(charts.heat_map(labels, ["a", "b"], np.ones((n, 2)), "x", vi(0))).axes[0]
    assert top_down(heat.yaxis) == labels[:10] + [charts.GAP_MARK] + labels[-10:]


def test_spread_keeps_labels_a_line_apart_and_close_to_their_points():
    # two labels 0.1 apart with a gap of 1 share their mean: 0.05 ∓ 0.5; the third stays put
    assert charts.spread([0.1, 0.0, 5.0], 1.0) == pytest.approx([0.55, -0.45, 5.0])
    # three at one point around it; a fourth pushed in merges with them (mean 0.25 → -1.25 … 1.75)
    assert charts.spread([0, 0, 0, 1], 1.0) == pytest.approx([-1.25, -0.25, 0.75, 1.75])
    assert charts.spread([3.0, 1.0], 0.5) == pytest.approx([3.0, 1.0])


def boxes(fig, texts):
    renderer = fig.canvas.get_renderer()
    return [Text.get_window_extent(t, renderer) for t in texts]  # the text, not its leader line


def assert_no_overlap(fig, texts):
    assert len(texts) >= 2
    for a, b in itertools.combinations(boxes(fig, texts), 2):
        assert not a.overlaps(b), (a, b)


def test_slope_labels_do_not_overprint():
    before, after = [60.0, 55.0, 50.0, 58.0], [61.0, 61.1, 61.2, 70.0]  # three ends 0.1 apart
    fig = drawn(charts.slope(list("ABCD"), before, after, (2015, 2016), "y", vi(1), [True] * 4))
    assert_no_overlap(fig, [t for t in fig.axes[0].texts if t.get_text()])


def test_funnel_labels_do_not_overprint():
    n = np.array([1000, 1100, 1200, 1300, 5000, 300])
    p = np.array([80.0, 80.2, 80.4, 99.9, 99.8, 95.0])
    fig = drawn(charts.funnel(n, p, 95.0, lambda g: [(g * 0 + 90, g * 0 + 98), (g * 0 + 85, g * 0 + 99)],
                              ["below"] * 3 + ["above"] * 2 + [""],
                              ["Công an tỉnh Hà Giang", "Công an tỉnh Bắc Ninh", "Cục Y tế", "Cục A",
                               "Cục B", "Cục C"], "n", "p", vi(0)))
    texts = fig.axes[0].texts
    assert sorted(t.get_text() for t in texts) == sorted(["Công an tỉnh Hà Giang", "Công an tỉnh Bắc Ninh",
                                                          "Cục Y tế", "Cục A", "Cục B"])
    assert_no_overlap(fig, texts)


def test_heat_map_column_labels_do_not_overprint():
    components = ["Tham gia của người dân ở cấp cơ sở", "Công khai, minh bạch",
                  "Trách nhiệm giải trình với người dân", "Kiểm soát tham nhũng trong khu vực công",
                  "Thủ tục hành chính công", "Cung ứng dịch vụ công"]  # PAPI's six dimensions
    fig = drawn(charts.heat_map(["Cần Thơ", "Hà Tĩnh"], components, np.full((2, 6), 60.0), "%", vi(0)))
    assert_no_overlap(fig, fig.axes[0].get_xticklabels())


VIETNAMESE = ("aăâbcdđeêghiklmnoôơpqrstuưvxy"
              "àảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ")


def test_every_vietnamese_letter_is_drawn_and_text_is_nfc(tmp_path):
    letters = VIETNAMESE + VIETNAMESE.upper()
    decomposed = unicodedata.normalize("NFD", "Thừa Thiên Huế")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph … missing from font(s)"
        svg = charts.save(charts.band_counts([letters[:60], letters[60:]], [1, 2], decomposed), tmp_path, "vi")
    assert "Thừa Thiên Huế" in svg and decomposed not in svg


OKABE_ITO_2008 = {"#E69F00", "#56B4E9", "#009E73", "#F0E442", "#0072B2", "#D55E00", "#CC79A7", "#000000"}


def test_palette_is_okabe_ito():
    assert set(charts.OKABE_ITO) == OKABE_ITO_2008
    assert set(charts.BAND_COLOURS) - OKABE_ITO_2008 <= {"#999999"}


def mean_label(ax, prefix):
    return next(t for t in ax.texts if t.get_text().startswith(prefix))


@pytest.mark.parametrize("mean", [10.0, 50.0, 84.38, 99.0])
def test_mean_label_stays_inside_the_plot_and_clear_of_its_line(mean):
    """The mean's label (Trung bình 84,38 điểm on the PAR INDEX ranking) inside the axes, on
    either side of the dashed line and not touching it, wherever the mean falls."""
    values = np.linspace(100, 5, 17)
    for fig in (charts.ranked_bars(list("ABCDEFGHIJKLMNOPQ"), values, ["#0072B2"] * 17, mean,
                                   "Trung bình 84,38 điểm", "x", vi(0)),
                charts.group_means(["Bắc", "Nam", "Trung"], [mean - 1, mean + 2, mean + 1], mean,
                                   "Trung bình 84,38 điểm", "x", vi(1))):
        ax = drawn(fig).axes[0]
        renderer = fig.canvas.get_renderer()
        label = mean_label(ax, "Trung bình").get_window_extent(renderer)
        plot = ax.get_window_extent(renderer)
        line_x = ax.transData.transform((mean, 0))[0]
        assert plot.x0 - 0.5 <= label.x0 and label.x1 <= plot.x1 + 0.5, (mean, label, plot)
        gap = min(abs(label.x0 - line_x), abs(label.x1 - line_x)) * 72 / fig.dpi
        assert not (label.x0 < line_x < label.x1) and gap >= 2.5, (mean, gap)  # a space was 2.2 pt


def test_tile_map_spells_out_every_code_in_readable_type():
    """Every tile's short code is in the key beside the map with its unit's name; tile labels
    and key at 5 pt or more (the old map: 4.5-pt codes, no key)."""
    codes = ["HN", "HG", "BRVT", "HCM"]
    names = ["Công an thành phố Hà Nội", "Công an tỉnh Hà Giang", "Công an tỉnh Bà Rịa - Vũng Tàu",
             "Công an thành phố Hồ Chí Minh"]
    fig = drawn(charts.tile_map([0, 1, 20, 21], [3, 3, 4, 3], codes, ["#0072B2"] * 4,
                                [("Xuất sắc", "#0072B2")], sorted(zip(codes, names))))
    texts = [t for t in fig.findobj(Text) if t.get_text()]
    shown = [t.get_text() for t in texts]
    assert all(name in shown for name in names) and all(shown.count(c) == 2 for c in codes)
    assert min(t.get_fontsize() for t in texts) >= 5
    renderer = fig.canvas.get_renderer()
    tiles = [p.get_window_extent(renderer) for p in fig.axes[0].patches]
    for t in fig.axes[0].texts:  # each code inside its tile
        box = t.get_window_extent(renderer)
        assert any(tile.x0 <= box.x0 and box.x1 <= tile.x1 for tile in tiles), t.get_text()
    key = [t for t in texts if t.get_text() in names]
    assert_no_overlap(fig, key)


def test_tile_map_legend_on_two_rows_reads_row_by_row():
    """PAPI's five Vietnamese entries (four groups and "no score") are too wide for one row: on
    two, the first row holds the first three entries from left to right, the second the rest,
    as a reader reads them (matplotlib fills a legend's columns first)."""
    legend = [("Nhóm đạt điểm cao nhất", "#0072B2"), ("Nhóm đạt điểm trung bình cao", "#56B4E9"),
              ("Nhóm đạt điểm trung bình thấp", "#E69F00"), ("Nhóm đạt điểm thấp nhất", "#D55E00"),
              ("Không có điểm", "#ffffff")]
    fig = drawn(charts.tile_map([0], [0], ["HN"], ["#0072B2"], legend, [("HN", "Hà Nội")]))
    renderer = fig.canvas.get_renderer()
    shown = [(t.get_window_extent(renderer), t.get_text()) for t in fig.legends[0].get_texts()]
    rows = sorted({round(box.y0) for box, _ in shown}, reverse=True)
    assert len(rows) == 2
    read = [text for row in rows for box, text in sorted(
        ((b, t) for b, t in shown if round(b.y0) == row), key=lambda bt: bt[0].x0)]
    assert read == [label for label, _ in legend]


def test_tile_map_outlines_the_blank_squares_and_keeps_the_grid_they_span():
    """Blank squares (units of other years) are outlined, unfilled and unlabelled; a blank
    square beyond the drawn tiles still sizes the map (the grid keeps its shape)."""
    fig = drawn(charts.tile_map([0], [0], ["HN"], ["#0072B2"], [("Xuất sắc", "#0072B2")],
                                [("HN", "Hà Nội")], blank=[(2, 3)]))
    ax = fig.axes[0]
    filled = [p for p in ax.patches if p.get_fill()]
    outlined = [p for p in ax.patches if not p.get_fill()]
    assert len(filled) == 1 and len(outlined) == 1
    assert outlined[0].get_xy() == pytest.approx((3.03, -1.97))   # column 3, row 2 (rows go down)
    assert ax.get_xlim() == (0, 4) and ax.get_ylim() == (-2, 1)
    assert [t.get_text() for t in ax.texts] == ["HN"]


def test_rank_ranges_draw_every_unit_with_its_interval_and_no_label_overprints():
    n = 61
    labels = [f"Tỉnh {i:02d}" for i in range(n)]
    nominal = np.arange(1, n + 1)
    low, high = np.maximum(nominal - 3, 1), np.minimum(nominal + 4, n)
    median = nominal + 0.5
    fig = drawn(charts.rank_ranges(labels, nominal, median, low, high, "Thứ hạng",
                                   ["khoảng", "trung vị", "danh nghĩa"], vi(0)))
    ax = fig.axes[0]
    assert top_down(ax.yaxis) == labels   # all 61, best at the top, none cut
    assert fig.get_figheight() <= charts.MAX_HEIGHT_IN
    ticks = ax.yaxis.get_ticklabels()
    assert min(t.get_fontsize() for t in ticks) >= 6.5
    boxes = [t.get_window_extent() for t in ticks]
    assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    whiskers = max(ax.collections[:2], key=lambda c: c.get_linewidth()[0]).get_segments()
    by_y = {round(s[0][1]): (s[0][0], s[1][0]) for s in whiskers}
    assert by_y[n - 1] == (low[0], high[0]) and by_y[0] == (low[-1], high[-1])   # top row = rank 1
    dots = ax.collections[2].get_offsets()
    assert dots[0].tolist() == [median[0], n - 1]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["khoảng", "trung vị", "danh nghĩa"]
    assert ax.get_xlim()[0] > 0 and list(ax.get_xticks()[:2]) == [1, 10]   # ranks from 1, no 0


def test_heat_map_labels_break_between_words_or_at_a_syllable():
    """PAPI's eight dimensions in English: "Vertical acco/untability" was broken inside words,
    then set in 5-pt type to keep "accountability" whole; now a word longer than its column is
    broken at a syllable, with a hyphen, where English hyphenation allows (Pyphen's en_US
    patterns, the breaks below checked against them), and the labels are 6 pt or more and do not
    touch. The Vietnamese labels, whose words are short, break between words as before."""
    import textwrap

    import pyphen
    dimensions = ["Participation at local levels", "Transparency in local decision-making",
                  "Vertical accountability", "Control of corruption in the public sector",
                  "Public administrative procedures", "Public service delivery",
                  "Environmental governance", "E-governance"]
    expected = ["Participa-\ntion at\nlocal\nlevels", "Trans-\nparency in\nlocal\ndecision-\nmaking",
                "Vertical\naccount-\nability", "Control of\ncorruption\nin the\npublic\nsector",
                "Public\nadminis-\ntrative\nprocedures", "Public\nservice\ndelivery",
                "Environ-\nmental\ngovernance", "E-gover-\nnance"]
    hyphenation = pyphen.Pyphen(lang="en_US")
    for word, cut in (("Participation", 9), ("Transparency", 5), ("accountability", 7),
                      ("administrative", 7), ("Environmental", 7), ("governance", 5)):
        assert cut in hyphenation.positions(word), word
    fig = drawn(charts.heat_map(["Quang Ninh", "Tay Ninh"], dimensions, np.full((2, 8), 60.0), "%", vi(0)))
    ticks = fig.axes[0].get_xticklabels()
    assert [tick.get_text() for tick in ticks] == expected
    assert min(tick.get_fontsize() for tick in ticks) >= 6
    assert_no_overlap(fig, ticks)
    vietnamese = ["Tham gia của người dân ở cấp cơ sở", "Công khai, minh bạch trong việc ra quyết định ở địa phương",
                  "Trách nhiệm giải trình với người dân", "Kiểm soát tham nhũng trong khu vực công",
                  "Thủ tục hành chính công", "Cung ứng dịch vụ công", "Quản trị môi trường", "Quản trị điện tử"]
    shown = drawn(charts.heat_map(["Quảng Ninh", "Tây Ninh"], vietnamese, np.full((2, 8), 60.0), "%",
                                  vi(0))).axes[0].get_xticklabels()
    assert [tick.get_text() for tick in shown] == [textwrap.fill(v, 10, break_long_words=False) for v in vietnamese]
    cells = [t for t in fig.axes[0].texts]
    assert min(t.get_fontsize() for t in cells) >= 8  # the values were 6.5 pt, printed near 4.5
