"""A rerun takes the previous run's 300-dpi PNG copy of a chart whose SVG has not changed
(`charts.reuse_png_copies`, `publish.earlier_png_copies`) instead of drawing it again, and only
when that copy is provably the same bytes a new drawing would write: the same code and
libraries (the previous manifest), the same SVG, the file as its run recorded it."""
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from matplotlib.figure import Figure

from analysis import pipeline
from analysis.audit import manifest
from analysis.publication import charts, publish

ROOT = Path(__file__).resolve().parents[1]


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chart(counts=(16, 15, 15, 15)):
    return charts.band_counts(["Cao nhất", "Trung bình cao", "Trung bình thấp", "Thấp nhất"],
                              list(counts), "Số đơn vị")


def offer(folder: Path, stem: str = "01-bands") -> None:
    png, svg = folder / f"{stem}.png", folder / f"{stem}.svg"
    charts.reuse_png_copies({stem: (str(png), sha(png.read_bytes()), sha(svg.read_bytes()))})


@pytest.fixture(autouse=True)
def nothing_offered():
    charts.reuse_png_copies({})
    yield
    charts.reuse_png_copies({})


@pytest.fixture
def drawn(tmp_path):
    """A chart saved with nothing offered: its SVG and its freshly drawn PNG."""
    svg = charts.save(chart(), tmp_path / "first", "01-bands")
    return tmp_path / "first", svg


def no_png_drawing(monkeypatch):
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        assert kwargs.get("format") == "svg", "the PNG copy was drawn again"
        return original(self, fname, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", savefig)


def test_an_unchanged_chart_takes_the_earlier_copy_without_drawing_it(drawn, tmp_path, monkeypatch):
    first, svg = drawn
    offer(first)
    no_png_drawing(monkeypatch)
    again = charts.save(chart(), tmp_path / "second", "01-bands")
    assert again == svg
    assert (tmp_path / "second" / "01-bands.png").read_bytes() == (first / "01-bands.png").read_bytes()
    assert (tmp_path / "second" / "01-bands.svg").read_bytes() == (first / "01-bands.svg").read_bytes()


def test_a_changed_chart_is_drawn_again(drawn, tmp_path):
    first, _ = drawn
    offer(first)
    charts.save(chart((17, 15, 15, 14)), tmp_path / "second", "01-bands")
    charts.reuse_png_copies({})
    charts.save(chart((17, 15, 15, 14)), tmp_path / "fresh", "01-bands")
    new = (tmp_path / "second" / "01-bands.png").read_bytes()
    assert new == (tmp_path / "fresh" / "01-bands.png").read_bytes()
    assert new != (first / "01-bands.png").read_bytes()


def test_a_copy_altered_since_its_run_is_drawn_again(drawn, tmp_path):
    first, _ = drawn
    offer(first)
    genuine = (first / "01-bands.png").read_bytes()
    (first / "01-bands.png").write_bytes(genuine[:-1] + b"\0")   # altered after its run recorded it
    charts.save(chart(), tmp_path / "second", "01-bands")
    assert (tmp_path / "second" / "01-bands.png").read_bytes() == genuine


def test_a_chart_offered_no_copy_is_drawn(drawn, tmp_path, monkeypatch):
    first, _ = drawn
    offer(first, "01-bands")
    drawn_png = []
    original = Figure.savefig

    def savefig(self, fname, *args, **kwargs):
        drawn_png.append(kwargs.get("format") != "svg")   # the PNG copy's pixels
        return original(self, fname, *args, **kwargs)
    monkeypatch.setattr(Figure, "savefig", savefig)
    charts.save(chart(), tmp_path / "second", "02-other")   # the same chart under another name
    assert drawn_png.count(True) == 1


def fake_run(folder: Path, **changes) -> Path:
    """A run folder with one edition's chart and a manifest recording it."""
    (folder / "vi" / "figures").mkdir(parents=True)
    (folder / "vi" / "figures" / "01-bands.png").write_bytes(b"png")
    (folder / "vi" / "figures" / "01-bands.svg").write_bytes(b"<svg/>")
    (folder / "vi" / "report.html").write_bytes(b"<html/>")
    recorded = {"parameters": {"year": 2024, "period": None},
                "dataset": {"folder": "data", "inputs": {}},
                "software": manifest.software(), "code": manifest.code_digest(),
                "outputs": {f"vi/{n}": sha((folder / "vi" / n).read_bytes())
                            for n in ("figures/01-bands.png", "figures/01-bands.svg", "report.html")}}
    recorded.update(changes)
    (folder / "manifest.json").write_text(json.dumps(recorded), encoding="utf-8")
    return folder


def test_the_copies_offered_are_those_the_previous_manifest_records(tmp_path):
    run = fake_run(tmp_path / "run")
    assert publish.earlier_png_copies(run, ("vi", "en")) == {
        "vi": {"01-bands": (str(run / "vi" / "figures" / "01-bands.png"), sha(b"png"), sha(b"<svg/>"))},
        "en": {}}


@pytest.mark.parametrize("changes", [
    {"code": "0" * 64},                                           # other code
    {"software": {**manifest.software(), "matplotlib": "0.0"}},   # other libraries
    {"software": None},                                           # an older run, not recorded
])
def test_nothing_is_offered_from_a_run_of_other_code_or_libraries(tmp_path, changes):
    assert publish.earlier_png_copies(fake_run(tmp_path / "run", **changes), ("vi",)) == {"vi": {}}


def test_nothing_is_offered_without_a_readable_manifest(tmp_path):
    assert publish.earlier_png_copies(tmp_path / "nothing-published", ("vi",)) == {"vi": {}}
    run = fake_run(tmp_path / "run")
    (run / "manifest.json").write_text("{", encoding="utf-8")
    assert publish.earlier_png_copies(run, ("vi",)) == {"vi": {}}


def test_a_rerun_publishes_the_same_copies_and_never_an_altered_one(tmp_path):
    """End to end: a rerun over a published run whose PNG copy was altered afterwards publishes
    the genuine drawing (as a run into an empty folder does) and records its hash."""
    data = ROOT / "data" / "par-ministries"
    fresh = pipeline.run(data, 2023, formats=("html",), out_root=tmp_path / "fresh", progress=False)
    out = tmp_path / "out"
    first = pipeline.run(data, 2023, formats=("html",), out_root=out, progress=False)
    pngs = sorted((first / "vi" / "figures").glob("*.png"))
    assert pngs
    altered = pngs[0].resolve()
    genuine = altered.read_bytes()
    altered.write_bytes(genuine[:-1] + b"\0")
    again = pipeline.run(data, 2023, formats=("html",), out_root=out, progress=False)
    for lang in ("vi", "en"):
        for png in sorted((fresh / lang / "figures").glob("*.png")):
            assert (again / lang / "figures" / png.name).read_bytes() == png.read_bytes(), png.name
    recorded = json.loads((again / "manifest.json").read_text(encoding="utf-8"))["outputs"]
    assert recorded[f"vi/figures/{pngs[0].name}"] == sha(genuine)
    shutil.rmtree(tmp_path)


# --- the credit a reused chart carries -------------------------------------------------------
def test_the_credit_names_the_authority_the_period_and_who_drew_the_chart():
    """From data/papi-provinces/dataset.yaml: the publisher CECODES, VFF-CRT, RTA and UNDP, the
    index PAPI, the 2017–2024 scores from a third-party copy (score_sources), prepared by the PAR
    Reports developers: the index is the authority's ("Index:"), its "Source:" only for years of
    the official release (2016); the synthetic demo says it is synthetic."""
    from analysis.inputs.dataset import load_dataset
    from analysis.publication.cover import chart_credit
    papi = load_dataset(ROOT / "data" / "papi-provinces")
    assert chart_credit(papi, "en", "2024") == (
        "Index: CECODES, VFF-CRT, RTA and UNDP, PAPI 2024. The 2024 scores are from GitHub "
        "hnks-gh/ml-mcdm (source not stated), not from the official release. Chart: PAR Reports "
        "developers.")
    assert chart_credit(papi, "vi", "2016") == (
        "Nguồn: CECODES, VFF-CRT, RTA và UNDP, PAPI 2016. Biểu đồ: Nhóm phát triển PAR Reports.")
    assert ("Điểm số 2017–2024 lấy từ kho GitHub hnks-gh/ml-mcdm (không nêu nguồn số liệu), không phải từ "
            "công bố chính thức.") in chart_credit(papi, "vi", "2011-2024")
    demo = load_dataset(ROOT / "data" / "demo-mps")
    assert chart_credit(demo, "en", "2025") == "SYNTHETIC DATA — not official figures"


def test_the_png_copy_prints_the_credit_and_both_files_hold_it(tmp_path):
    """The PNG copy (for reuse on its own) has the credit under the chart, so it is taller than
    the chart alone and its bottom rows hold grey type; the PNG's Description and the SVG's
    dc:description hold it; the SVG the pages embed shows no more text than before."""
    from PIL import Image
    import numpy as np
    credit = "Nguồn: CECODES, VFF-CRT, RTA và UNDP, PAPI 2024. Biểu đồ: Nhóm phát triển PAR Reports."
    plain = charts.save(chart(), tmp_path / "plain", "01-bands")
    svg = charts.save(chart(), tmp_path / "credit", "01-bands", credit)
    assert f"<dc:description>{credit}</dc:description>" in svg
    assert svg.count("<text") == plain.count("<text")   # the pages' chart is unchanged
    before = Image.open(tmp_path / "plain" / "01-bands.png")
    after = Image.open(tmp_path / "credit" / "01-bands.png")
    assert after.info["Description"] == credit
    assert after.height > before.height + 20   # a line of 6.5 pt at 300 dpi is ≈ 27 px
    bottom = np.asarray(after.convert("L"))[-40:]
    assert (bottom < 200).any() and (bottom > 60).all()   # grey type (#6b6b6b), no black


def test_the_png_copy_prints_its_title_over_the_chart_and_both_files_hold_it(tmp_path):
    """A PNG copy reused alone said neither what it showed nor of which year (review 4): the
    title (the caption's first clause, `report.png_title`) is over the chart in black bold type,
    in the PNG's Title and the SVG's dc:title (so a new title is a new SVG: no earlier copy is
    taken for it); the pages' SVG draws no more text."""
    from PIL import Image
    import numpy as np
    from analysis.publication.report import png_title
    title = png_title("Số địa phương theo nhóm xếp loại năm 2024.")
    assert title == "Số địa phương theo nhóm xếp loại năm 2024"
    plain = charts.save(chart(), tmp_path / "plain", "01-bands")
    svg = charts.save(chart(), tmp_path / "title", "01-bands", "", title)
    assert f"<dc:title>{title}</dc:title>" in svg
    assert svg.count("<text") == plain.count("<text")
    before = Image.open(tmp_path / "plain" / "01-bands.png")
    after = Image.open(tmp_path / "title" / "01-bands.png")
    assert after.info["Title"] == title
    assert after.height > before.height + 30   # a line of 8.5 pt at 300 dpi is ≈ 35 px
    top = np.asarray(after.convert("L"))[:60]
    assert (top < 40).any()   # black type over the chart
    assert png_title("Ranks of the 61 provinces over 10,000 draws, 2024: the grey") == (
        "Ranks of the 61 provinces over 10,000 draws, 2024")
    assert png_title("Mean 43.43 points. More") == "Mean 43.43 points"


def test_a_credit_too_long_for_one_line_breaks_between_its_sentences():
    """A PNG copy's credit had "… PAPI 2024. Biểu đồ: Nhóm phát" on one line and "triển PAR
    Reports." on the next (review 3): each sentence now starts a line, and a line breaks
    between words, never inside "VFF-CRT"."""
    credit = ("Nguồn: CECODES, VFF-CRT, RTA và UNDP, PAPI 2024. Điểm số 2023–2024 không lấy từ "
              "công bố chính thức. Biểu đồ: Nhóm phát triển PAR Reports.")
    assert charts.sentence_lines(credit, 200) == credit
    assert charts.sentence_lines(credit, 80).split("\n") == [
        "Nguồn: CECODES, VFF-CRT, RTA và UNDP, PAPI 2024.",
        "Điểm số 2023–2024 không lấy từ công bố chính thức.",
        "Biểu đồ: Nhóm phát triển PAR Reports."]
    narrow = charts.sentence_lines(credit, 20).split("\n")
    assert max(map(len, narrow)) <= 20 and "VFF-CRT, RTA và" in narrow
    assert " ".join(narrow) == credit


def test_a_title_on_two_lines_leaves_no_word_alone_and_keeps_vietnamese_words_whole():
    """The Vietnamese tile map's PNG title ended with "tỷ lệ)" alone on its second line, and the
    ranking's split "địa / phương" (review 6): a sentence is now wrapped into as few lines as the
    width allows, at the narrowest width that needs no more, and the two syllables of
    "thành phố", "tỷ lệ", "địa phương" stay on one line."""
    title = "Nhóm xếp loại năm 2024 của các tỉnh, thành phố trên bản đồ ô (sơ đồ, không theo tỷ lệ)"
    lines = charts.sentence_lines(title, 80).split("\n")
    assert len(lines) == 2 and " ".join(lines) == title
    assert max(map(len, lines)) - min(map(len, lines)) <= 10 and max(map(len, lines)) <= 80
    ranking = ("Chỉ số năm 2024 của 61 địa phương, xếp từ cao xuống thấp (10 địa phương đứng đầu và "
               "10 địa phương cuối bảng)")
    for text, width in ((title, 80), (title, 30), (ranking, 80), (ranking, 25)):
        lines = charts.sentence_lines(text, width).split("\n")
        assert " ".join(lines) == text
        assert not any(line.endswith(("thành", "tỷ", "địa")) for line in lines)


@pytest.mark.parametrize("make", [
    chart,
    lambda: charts.heat_map([f"Tỉnh {i}" for i in range(30)], ["Tham gia", "Công khai", "Trách nhiệm"],
                            [[40 + (i * 7 + j * 3) % 30 for j in range(3)] for i in range(30)],
                            "Tỷ lệ (%)", lambda v: f"{v:.0f}")])   # constrained layout
def test_the_png_box_taken_from_the_svg_is_the_one_savefig_finds(make):
    """`png_box` takes the content's box from the SVG's savefig (`svg_text`) instead of
    measuring the figure again at 300 dpi; matplotlib's own tight box of the figure at 300 dpi
    (laid out afresh, unhinted text as the PNG copy draws it, the credit in place) is the same
    to a third of a pixel on every side."""
    import matplotlib
    credit = "Nguồn: CECODES, VFF-CRT, RTA và UNDP, PAPI 2024. Biểu đồ: PAR Reports."
    fig = make()
    _svg, content = charts.svg_text(fig, credit)
    box = charts.png_box(fig, content, credit)
    dpi, fig.dpi = fig.dpi, charts.PNG_DPI
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        fig.draw_without_rendering()
        theirs = fig.get_tightbbox(fig.canvas.get_renderer()).padded(matplotlib.rcParams["savefig.pad_inches"])
    fig.dpi = dpi
    assert max(abs(a - b) for a, b in zip(box.extents, theirs.extents)) * charts.PNG_DPI < 1 / 3


def test_the_png_writer_against_pillow(tmp_path):
    """`png.encode` read back by Pillow: the same pixels (random ones, every byte value), the
    print resolution (pHYs: 11,811 pixels a metre, 300 dpi), a Latin-1 text as tEXt and a
    Vietnamese one as iTXt, and a valid CRC on every chunk (Pillow's `verify`)."""
    import struct
    import zlib
    import numpy as np
    from PIL import Image
    from analysis.publication import png
    pixels = np.random.default_rng(7).integers(0, 256, (37, 53, 4), dtype=np.uint8)
    texts = {"Description": "Nguồn: PAPI 2024", "Title": "Source: PAPI 2024"}
    (tmp_path / "a.png").write_bytes(png.encode(pixels, 300, texts))
    with Image.open(tmp_path / "a.png") as image:
        image.verify()
    with Image.open(tmp_path / "a.png") as image:
        assert image.mode == "RGBA" and image.size == (53, 37)
        assert (np.asarray(image) == pixels).all()
        assert image.info["Description"] == texts["Description"]
        assert image.info["Title"] == texts["Title"]
        assert [round(v) for v in image.info["dpi"]] == [300, 300]
    data = (tmp_path / "a.png").read_bytes()
    kinds, at = [], 8
    while at < len(data):
        length, = struct.unpack(">I", data[at:at + 4])
        kind, body = data[at + 4:at + 8], data[at + 8:at + 8 + length]
        assert struct.unpack(">I", data[at + 8 + length:at + 12 + length])[0] == zlib.crc32(kind + body)
        kinds.append(kind)
        at += 12 + length
    assert kinds == [b"IHDR", b"iTXt", b"tEXt", b"pHYs", b"IDAT", b"IEND"]
    with pytest.raises(ValueError):
        png.encode(pixels[..., :3], 300)


def test_a_png_copy_has_matplotlibs_pixels(tmp_path):
    """The PNG copy `save` writes has the pixels of matplotlib's own PNG of the chart for the
    copy's box (white, 300 dpi, text unhinted as the copies draw it; the box is matplotlib's
    tight box to a third of a pixel, the test above), read back by Pillow, and says it is
    300 dpi."""
    import io
    import matplotlib
    import numpy as np
    from PIL import Image
    charts.save(chart(), tmp_path, "01-bands")
    fig = chart()
    _svg, content = charts.svg_text(fig)
    out = io.BytesIO()
    with matplotlib.rc_context({"text.hinting": "no_hinting"}):
        fig.savefig(out, format="png", dpi=charts.PNG_DPI, bbox_inches=charts.png_box(fig, content),
                    facecolor="white")
    with Image.open(tmp_path / "01-bands.png") as ours, Image.open(out) as theirs:
        assert ours.size == theirs.size
        assert (np.asarray(ours) == np.asarray(theirs)).all()
        assert [round(v) for v in ours.info["dpi"]] == [300, 300]


def test_faces_drawn_from_memory_have_the_font_files_pixels(monkeypatch):
    """The faces matplotlib draws with are read from the font file's bytes in memory
    (`charts._face_in_memory`): the same bytes as the file, and a chart of Vietnamese text drawn
    at 300 dpi has the same pixels as with matplotlib's own faces, read from the file. A face
    opened for its names (`FontManager.addfont`) keeps its file's name."""
    import io
    import numpy as np
    from matplotlib import font_manager, ft2font

    def pixels():
        fig = Figure(figsize=(3, 1))
        fig.text(0.05, 0.4, "Nhóm đạt điểm cao nhất: Quảng Ninh, Đà Nẵng, Bà Rịa - Vũng Tàu",
                 fontsize=7)
        fig.text(0.05, 0.1, "Thừa Thiên Huế 47,82", fontsize=9, fontweight="bold")
        out = io.BytesIO()
        fig.savefig(out, format="rgba", dpi=charts.PNG_DPI, facecolor="white")
        return np.frombuffer(out.getvalue(), dtype=np.uint8)

    path = font_manager.findfont("DejaVu Sans")
    face = font_manager.get_font(path)
    assert isinstance(face.fname, io.BytesIO)
    assert face.fname.getvalue() == Path(path).read_bytes()
    ours = pixels()
    monkeypatch.setattr(font_manager, "ft2font", ft2font)   # matplotlib's faces, on the file
    font_manager._get_font.cache_clear()
    try:
        assert isinstance(font_manager.get_font(path).fname, str)
        theirs = pixels()
    finally:
        font_manager._get_font.cache_clear()
    assert (ours == theirs).all() and (ours < 255).any()
    monkeypatch.undo()
    names = object.__new__(font_manager.FontManager)
    names.ttflist, names.afmlist = [], []
    names.addfont(path)
    assert names.ttflist and all(entry.fname == path for entry in names.ttflist)
