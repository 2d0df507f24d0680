"""The same export twice gives the same bytes: pictures, frames, the player and PDFs, whatever Python's hash seed
(Graphviz's run-to-run order of invisible clusters and Cairo's PDF time stamp are taken out)."""
import os
import re

import pytest

from graphscope.viz.render import have_dot, render
from graphscope.viz.reproducible import pdf_date, steady
from tests.cli_run import graphscope

pytestmark = pytest.mark.skipif(not have_dot(), reason="needs Graphviz's dot")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEURON = os.path.join(ROOT, "samples", "neuron.py")
TWO_LAYER = os.path.join(ROOT, "samples", "two_layer.py")


def export_in_a_fresh_process(folder, seed, *args, env=None):
    """`graphscope export ARGS` in a new Python with PYTHONHASHSEED=`seed`, run inside `folder`; {file: bytes}
    of everything it wrote there."""
    os.makedirs(folder)
    extra = dict(env or {}, PYTHONHASHSEED=str(seed))
    graphscope("export", *args, cwd=folder, env=extra).expect(0)
    written = {}
    for base, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(base, name)
            with open(path, "rb") as fh:
                written[os.path.relpath(path, folder)] = fh.read()
    return written


def test_player_frames_and_picture_are_byte_identical_under_different_hash_seeds(tmp_path):
    args = (NEURON, "-o", "nh.html", "--frames", "frames")
    first = export_in_a_fresh_process(tmp_path / "a", 1, *args)
    second = export_in_a_fresh_process(tmp_path / "b", 2, *args)
    assert len(first) == 13 and "frames/step_004_forward_a.svg" in first  # the player and 12 frames
    assert sorted(first) == sorted(second)
    assert [name for name in first if first[name] != second[name]] == []


def test_a_pdf_is_byte_identical_and_has_no_creation_date(tmp_path):
    args = (TWO_LAYER, "-o", "tl.pdf", "--node", "W2", "--phase", "backward")
    first = export_in_a_fresh_process(tmp_path / "a", 3, *args, env={"SOURCE_DATE_EPOCH": ""})
    second = export_in_a_fresh_process(tmp_path / "b", 4, *args, env={"SOURCE_DATE_EPOCH": ""})
    assert first["tl.pdf"].startswith(b"%PDF") and b"/CreationDate" not in first["tl.pdf"]
    assert first == second


def test_a_pdf_takes_its_date_from_source_date_epoch(monkeypatch):
    dot = 'digraph { a -> b }'
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    data = render(dot, "pdf")
    assert b"/CreationDate (D:20231114221320Z)" in data
    assert pdf_date(0) == "D:19700101000000Z"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    blank = render(dot, "pdf")
    assert b"/CreationDate" not in blank and len(blank) == len(data)  # blanked in place: the offsets still hold


def test_invisible_clusters_are_left_out_of_the_svg_and_drawn_clusters_kept():
    svg = render('digraph { subgraph cluster_seen { label="fc1"; a } '
                 'subgraph cluster_beside_b { style=invis; label=""; b } a -> b }', "svg")
    groups = re.findall(rb'<g id="clust\d+" class="cluster">\s*<title>([^<]*)</title>', svg)
    assert groups == [b"cluster_seen"]
    assert b'<g id="node2" class="node">' in svg  # the invisible cluster's node is still drawn
    assert steady(b"\x89PNG same", "png") == b"\x89PNG same"
