"""--fit WxH: a picture for a slide or a projector, laid out for that shape and scaled to just fit it, its text
as large as that allows (SVG and PDF at 96 pixels an inch, PNG exactly)."""
import os
import re
import struct

import pytest

from graphscope import viz
from graphscope.engine.errors import GraphscopeError
from graphscope.userfile import build_output
from graphscope.viz import Picture
from graphscope.viz.picture import fit_size, svg_size
from graphscope.viz.render import have_dot
from tests.cli_run import in_process

pytestmark = pytest.mark.skipif(not have_dot(), reason="needs Graphviz's dot")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SLIDE = (1920, 1080)
SLIDE_PT = (1440.0, 810.0)  # 1920x1080 CSS pixels in points


def sample(name):
    return os.path.join(ROOT, "samples", f"{name}.py")


def just_fits(size, box, slack=1.0):
    """`size` is inside `box` and touches it on one side."""
    return size[0] <= box[0] + slack and size[1] <= box[1] + slack and \
        (size[0] >= box[0] - slack or size[1] >= box[1] - slack)


def scale_of(svg):
    return float(re.search(r'transform="scale\(([\d.]+) ', svg).group(1))


def test_the_highlighted_card_is_on_the_slide(capsys, tmp_path):
    from graphscope.cli import main
    out = tmp_path / "tl_W2_upd.svg"
    code, said, err = in_process(main, capsys, "export", sample("two_layer"), "--optimizer", "adam", "--node", "W2",
                                 "--phase", "update", "--fit", "1920x1080", "-o", out)
    assert code == 0, err
    svg = out.read_text()
    assert just_fits(svg_size(svg), SLIDE_PT)  # was 1568pt wide: W2's card beyond the right edge
    # every card is drawn inside the picture's box: its polygons' points within the (unscaled) drawing
    width, height = svg_size(svg)
    scale = scale_of(svg)
    points = [tuple(map(float, p.split(","))) for p in re.findall(r"-?[\d.]+,-?[\d.]+", " ".join(
        re.findall(r'<g id="n\d+" class="node">.*?points="([^"]+)"', svg, re.S)))]
    assert points and all(0 <= x * scale <= width and 0 <= -y * scale <= height for x, y in points)


def test_a_small_graph_is_enlarged_and_a_large_one_shrunk_to_the_same_box(tmp_path):
    small = Picture(build_output(sample("neuron")), fit=SLIDE)
    svg = small.svg(small.state("final"))
    assert just_fits(svg_size(svg), SLIDE_PT) and scale_of(svg) > 1.5  # its text larger than at 100%
    large = Picture(build_output(sample("batchnorm")), fold=0, fit="1920x1080")
    svg = large.svg(large.state("final"))
    assert just_fits(svg_size(svg), SLIDE_PT) and scale_of(svg) < 1  # was 2935x2165pt unfolded


def test_a_png_is_at_most_the_fit_in_pixels(tmp_path):
    path = tmp_path / "dropout.png"
    viz.export(build_output(sample("dropout")), str(path), fit=SLIDE)
    width, height = struct.unpack(">II", path.read_bytes()[16:24])
    assert just_fits((width, height), SLIDE, slack=2)  # was 1856pt wide (2475 px at 100%)


def test_a_pdf_page_is_the_fit(tmp_path):
    path = tmp_path / "two_layer.pdf"
    viz.export(build_output(sample("two_layer")), str(path), fit=SLIDE)
    box = re.search(rb"/MediaBox \[ 0 0 ([\d.]+) ([\d.]+) \]", path.read_bytes())
    assert just_fits((float(box.group(1)), float(box.group(2))), SLIDE_PT)  # no half-inch margin around it


def test_the_layout_follows_the_shape_of_the_fit():
    out = build_output(sample("dropout"))
    wide, tall = Picture(out, fit=SLIDE), Picture(out, fit=(1080, 1920))
    wide_size = svg_size(wide.svg(wide.state("final")))
    tall_size = svg_size(tall.svg(tall.state("final")))
    assert wide_size[0] > wide_size[1] and tall_size[0] < tall_size[1]
    assert (wide.rankdir, wide.rows) != (tall.rankdir, tall.rows)


def test_frames_are_fitted_and_the_player_keeps_its_pictures_natural(tmp_path):
    out = build_output(sample("neuron"))
    frames = viz.write_frames(Picture(out, fit=(1280, 800)), str(tmp_path / "frames"))
    assert all(just_fits(svg_size(open(f).read()), (960.0, 600.0)) for f in frames)
    plain = viz.to_html(out)
    fitted = viz.to_html(out, fit=(1280, 800))
    assert 'width="960pt"' not in fitted and len(re.findall(r"<svg width", fitted)) == len(frames)
    assert re.findall(r'<svg width="([\d.]+)pt"', plain)[:1] != ["960"]


def test_a_bad_fit_gets_one_clear_message(capsys, tmp_path):
    from graphscope.cli import main
    with pytest.raises(SystemExit):
        main(["export", sample("neuron"), "--fit", "1920", "-o", str(tmp_path / "x.svg")])
    err = capsys.readouterr().err
    assert "--fit" in err and "1920x1080" in err and "Traceback" not in err
    for bad in ("0x100", "wide", (1920,), "1920x1080x3"):
        with pytest.raises(GraphscopeError, match="1920x1080"):
            fit_size(bad)
    assert fit_size("1280 x 800") == fit_size((1280, 800)) == (1280, 800)
    with pytest.raises(SystemExit):
        main(["export", "--help"])
    assert "--fit WxH" in capsys.readouterr().out
