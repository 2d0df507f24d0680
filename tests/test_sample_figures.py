"""The samples' figures and tables are presentable: terminal plots keep their legend off the curves, tell the
curves apart without colour and count layers and epochs in whole numbers; pictures are sharp (200 dpi),
written in the format their name ends in, with whole-number ticks and no panel that reads as empty; the
lecture-claims table fits the terminal."""
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from graphscope.viz import figures, textplot
from graphscope.viz.ticks import log_ticks, nice_ticks, whole_ticks
from sample_modules import load_sample

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
#: Curves shaped like vanishing_gradients' activation stds: three of the four near 1, one falling to 1e-7.
STDS = {"tanh, N(0, 0.01^2)": list(np.geomspace(0.2, 3e-7, 10)), "tanh, N(0, 1)": [0.98] * 10,
        "tanh, Xavier": list(np.geomspace(0.63, 0.23, 10)), "relu, He": [0.03] * 10}


def load(name):
    return load_sample(name, "figures_sample")


def plot_area(text):
    """The rows inside a text plot's frame."""
    lines = text.splitlines()
    top = next(r for r, line in enumerate(lines) if "┌" in line)
    bottom = next(r for r, line in enumerate(lines) if "└" in line)
    left, right = lines[top].index("┌"), lines[top].index("┐")
    return [line[left + 1:right] for line in lines[top + 1:bottom]]


# ---------------------------------------------------------------- terminal plots

def test_the_legend_lies_under_the_plot_and_every_curve_shows(capsys):
    cli = load("_cli")
    cli.terminal_plot(STDS, "activation std per layer", xlabel="layer", logy=True)
    text = capsys.readouterr().out
    assert "\x1b[" not in text  # captured output is no terminal: no colour codes
    inside = "\n".join(plot_area(text))
    assert not any(label in inside for label in STDS)  # no legend over the curves
    for marker, label in zip(textplot.MARKERS, STDS):
        assert marker in inside, label                  # each curve drawn with its own character
        assert f"{marker} {label}" in text.split("└")[1]  # and named under the plot
    axis = next(line for line in text.splitlines() if line.split() and line.split()[0] == "1")
    assert axis.split() == ["1", "2", "4", "6", "8", "10"]  # layers are whole numbers: no 3.2 or 5.5
    labels = [line.split("┤")[0].strip() for line in text.splitlines() if "┤" in line]
    assert "1e-06" in labels and "0.1" in labels  # a log axis labelled in powers of 10


def test_a_curve_hidden_under_another_is_said_to_be():
    text = textplot.text_curves({"first": [1, 2, 3, 4], "copy": [1, 2, 3, 4], "apart": [9, 8, 7, 6]}, width=60)
    legend = text.split("└")[1]
    assert "• first (mostly under x)" in legend
    assert "x copy" in legend and "(mostly" not in legend.split("x copy")[1]


def test_six_curves_have_six_markers_and_fit_80_columns():
    series = {f"rule {i}": list(np.linspace(1, 0.1 * (i + 1), 30)) for i in range(6)}
    text = textplot.text_curves(series, xlabel="epoch", width=79)
    assert len(set(textplot.MARKERS)) == 6
    assert all(m in "\n".join(plot_area(text)) for m in textplot.MARKERS)
    assert max(len(line) for line in text.splitlines()) <= 79


def test_colour_codes_on_a_terminal_only():
    plain = textplot.text_curves(STDS, logy=True, color=False)
    coloured = textplot.text_curves(STDS, logy=True, color=True)
    assert "\x1b[" in coloured and "\x1b[" not in plain
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain


def test_non_finite_values_are_left_out_and_an_empty_curve_is_named():
    text = textplot.text_curves({"blew up": [1.0, 10.0, float("inf"), float("nan")], "nothing": [float("nan")]})
    assert "nothing (no finite values)" in text and "blew up" in text


def test_ticks_are_round():
    assert whole_ticks(10) == [1, 2, 4, 6, 8, 10] and whole_ticks(3) == [1, 2, 3]
    assert nice_ticks(-6.5, 0) == [-6, -4, -2, 0] and nice_ticks(0.02, 1.1) == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert log_ticks(3e-7, 0.98) == [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1]
    assert len(log_ticks(1e-17, 1.0)) <= 6 and log_ticks(0.05, 0.7) == [0.05, 0.1, 0.7]


# ---------------------------------------------------------------- pictures

@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figures the save_* functions write, kept for inspection."""
    pytest.importorskip("matplotlib")
    kept = []
    real = figures.write_figure

    def keep(fig, path, dpi=figures.DPI):
        kept.append(fig)
        return real(fig, path, dpi)
    monkeypatch.setattr(figures, "write_figure", keep)
    return kept


def test_curves_count_epochs_in_whole_numbers_at_200_dpi(drawn, tmp_path):
    from PIL import Image
    path = figures.save_curves({"a": [1.0, 0.7, 0.5, 0.4], "b": [1.0, 0.8, 0.6, 0.5]}, tmp_path / "c.png",
                               xlabel="epoch")
    ax = drawn[0].axes[0]
    shown = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert shown and all(float(t).is_integer() for t in shown)  # no 2.5 epochs
    assert Image.open(path).size[0] >= 1400                    # sharp on a 1920-pixel projector
    assert len({line.get_marker() for line in ax.get_lines()}) == 2  # told apart in grey too
    figures.save_curves({"a": [1.0, 0.5]}, tmp_path / "c.png", dpi=100)
    assert Image.open(path).size[0] < 1000


@pytest.mark.parametrize("ending, start", [("svg", b"<?xml"), ("pdf", b"%PDF")])
def test_a_figure_is_written_in_the_format_its_name_ends_in(tmp_path, ending, start):
    pytest.importorskip("matplotlib")
    path = figures.save_curves({"a": [1.0, 0.5]}, tmp_path / f"c.{ending}")
    assert open(path, "rb").read().lstrip().startswith(start)


def test_a_histogram_narrower_than_a_bin_is_drawn_and_labelled(drawn, tmp_path):
    from graphscope.train.monitor import Summary
    rng = np.random.default_rng(0)
    wide, narrow = Summary.of(rng.normal(scale=0.2, size=1000)), Summary.of(rng.normal(scale=1e-6, size=1000))
    figures.save_histograms({"N(0, 0.01^2)": [("layer1", wide), ("layer9", narrow)]}, tmp_path / "h.png")
    first, spike = drawn[0].axes[:2]
    row_range = np.diff(first.get_xlim())[0]
    bars = spike.patches
    assert len(bars) == 1 and bars[0].get_width() >= figures.SPIKE_SHARE * row_range * 0.99  # visible, not 0 px
    notes = " ".join(t.get_text() for t in spike.texts)
    assert "std 1e-06" in notes and "all within ±" in notes
    assert all(label.get_fontsize() >= 8 for label in spike.get_xticklabels())


# ---------------------------------------------------------------- the samples' command line

def test_several_figures_go_next_to_a_file_name_in_its_format(tmp_path):
    cli = load("_cli")
    assert cli.plot_problem(str(tmp_path / "vg.svg"), ("histograms.png", "stds.png"), "x.py") is None
    plot = cli.parse_args("x.py", "doc", ["--plot", str(tmp_path / "vg.svg")], figures=("a.png", "b.png")).plot
    assert plot.path("b.png") == str(tmp_path / "vg_b.svg")
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "learning_rate.py"), "--fast",
                             "--no-terminal-plot", "--plot", str(tmp_path / "lr.pdf")], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for figure in ("loss", "decay"):
        assert (tmp_path / f"lr_learning_rate_{figure}.pdf").read_bytes().startswith(b"%PDF")


def test_dpi_is_200_by_default_and_refused_out_of_range(tmp_path, capsys):
    cli = load("_cli")
    assert cli.parse_args("x.py", "doc", [], figures=("a.png",)).plot.dpi == 200
    assert cli.parse_args("x.py", "doc", ["--plot", str(tmp_path), "--dpi", "300"], figures=("a.png",)).plot.dpi == 300
    for bad in ("10", "x"):
        with pytest.raises(SystemExit) as stop:
            cli.parse_args("x.py", "doc", ["--dpi", bad], figures=("a.png",))
        assert stop.value.code == 2 and "whole number of dots per inch from 50 to 1200" in capsys.readouterr().err


def test_long_findings_wrap_at_the_terminal_width(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    ok = load("_cli").print_findings([("a long finding " * 8, True), ("short", False)])
    lines = capsys.readouterr().out.splitlines()
    assert not ok and max(map(len, lines)) <= 59
    assert lines[0].startswith("  confirmed: a long") and re.match(r" {13}\S", lines[1])
    assert lines[-1] == "    REFUTED: short"


# ---------------------------------------------------------------- the lecture-claims table

def test_the_claims_table_fits_the_width_without_breaking_words():
    table = load("_table")
    rows = [("the initial softmax loss is -log(1/C) (C = 10)", "2.3031 vs 2.3026 " * 20, "confirmed"),
            ("short", "samples/hyperparameter_search.py measured " * 9, "partly")]
    header = ("the lecture says", "graphscope measured", "verdict")
    words = {w for row in rows for cell in row for w in cell.split()}
    for width in (120, 80, 60, 40):
        text = table.fitted_table(header, rows, width)
        assert max(map(len, text.splitlines())) <= width, width
        shown = {w.rstrip(":") for w in text.split() if set(w) != {"-"}} - set(" ".join(header).split())
        assert shown == words - set(" ".join(header).split()), width  # every word whole, none cut in two
    narrow = table.fitted_table(("a", "b"), [("x", "y")], 80)
    assert narrow.splitlines() == ["a  b", "-  -", "x  y"]  # a table that fits is laid out as it is


def test_five_wordy_columns_too_many_for_their_minimum_width_become_blocks_within_the_width():
    table = load("_table")
    header = tuple(f"column {k}" for k in range(5))
    rows = [tuple(f"a rather wordy cell number {k} that needs wrapping " * 2 for k in range(5))]
    text = table.fitted_table(header, rows, 55)  # 5 x MIN_COLUMN and the gaps need 68
    assert max(map(len, text.splitlines())) <= 55
    assert text.startswith("column 0: a rather wordy")


def test_lecture_claims_prints_no_line_wider_than_the_terminal():
    env = dict(os.environ, COLUMNS="80")
    result = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--fast", "--only",
                             "softmax,jacobian"], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert max(map(len, lines)) <= 80 and any(line.startswith("the lecture says") for line in lines)
    narrow = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--only", "softmax",
                             "--width", "60"], capture_output=True, text=True, timeout=120)
    assert max(map(len, narrow.stdout.splitlines())) <= 60
    refused = subprocess.run([sys.executable, os.path.join(SAMPLES, "lecture_claims.py"), "--width", "wide"],
                             capture_output=True, text=True, timeout=120)
    assert refused.returncode == 2 and "--width: give a whole number of columns" in refused.stderr


def test_the_training_curve_keeps_its_legend_off_the_curves_start():
    import graphscope as gs
    from graphscope.viz.curves import terminal_curve
    history = gs.train.History(loss=list(np.linspace(2.0, 0.2, 40)), lr=[0.1] * 4,
                               settings={"iterations_per_epoch": 10})
    text = terminal_curve(history)
    area = plot_area(text)
    assert area[0][0] != " " and "loss per" not in "\n".join(area)  # the first, highest loss is drawn
    assert "⣿ loss per iteration   • mean per epoch" in text.split("└")[1]
