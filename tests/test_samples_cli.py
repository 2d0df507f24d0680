"""The samples' one command line (samples/_cli.py): every runnable sample takes --fast and says in --help what
--plot does in it; --plot takes a folder, or a file where the sample draws one figure, and is refused in one
line otherwise; every training sample suggests its settings, so `graphscope train` trains
it as the sample does."""
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from graphscope.cli import main as graphscope
from optable_guard import op_table_guard  # noqa: F401  (fixture)
from sample_modules import load_sample

pytestmark = pytest.mark.usefixtures("op_table_guard")  # gradient_check.py defines custom ops
SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
ALL = sorted(os.path.basename(p)[:-3] for p in glob.glob(os.path.join(SAMPLES, "[!_]*.py")))
#: Samples that run on their own (``python samples/NAME.py``) and the figures each draws.
FIGURES = {
    "chain_rule": (), "neuron": (), "gradient_check": (), "jacobians": (), "lecture_claims": (),
    "svm_vs_softmax": ("descent.png",), "train_spiral": ("train_spiral.png",),
    "activations": ("activations_accuracy.png",), "dropout": ("dropout_val_loss.png",),
    "weight_init_zero": ("weight_init_zero_loss.png",), "hyperparameter_search": ("search.png",),
    "fc_net": ("fc_net_accuracy.png", "fc_net_loss.png"), "batchnorm": ("batchnorm_loss.png", "batchnorm_accuracy.png"),
    "learning_rate": ("learning_rate_loss.png", "learning_rate_decay.png"), "update_rules": ("rules.png", "surface.png"),
    "vanishing_gradients": ("histograms.png", "stds.png", "gradient_stds.png"),
}
#: Samples made to be explored by graphscope's commands: run on their own, they say what they hold and how.
EXPLORE = ("two_layer", "deep_mlp", "custom_op", "wrong_backward", "nan_origin", "tanh_layers")


def load(name):
    return load_sample(name, "cli_sample")


def run_sample(name, *args, cwd=None, env=None):
    return subprocess.run([sys.executable, os.path.join(SAMPLES, f"{name}.py"), *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd, env=env)


@pytest.fixture(scope="module")
def cli():
    return load("_cli")


def test_every_sample_that_runs_on_its_own_is_listed_here():
    runnable = [n for n in ALL if "__main__" in open(os.path.join(SAMPLES, f"{n}.py"), encoding="utf-8").read()]
    assert sorted(runnable) == sorted([*FIGURES, *EXPLORE])


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_help_names_fast_and_what_plot_does(name, capsys):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--help"])
    out = capsys.readouterr().out
    assert stop.value.code == 0
    assert "--fast" in out and "--plot PATH" in out and f"python samples/{name}.py" in out  # the docstring's usage
    if FIGURES[name]:
        assert all(figure in out for figure in FIGURES[name])
    else:
        assert "draws no figures" in out


@pytest.mark.parametrize("name", sorted(n for n, f in FIGURES.items() if not f))
def test_a_sample_that_draws_nothing_refuses_plot_in_one_line(name, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--plot", str(tmp_path / "figs")])
    captured = capsys.readouterr()
    assert stop.value.code == 2 and captured.out == ""
    assert captured.err.splitlines()[-1].endswith(f"{name}.py draws no figures (it prints its findings as text); "
                                                  f"run it without --plot")


@pytest.mark.parametrize("name", EXPLORE)
def test_a_sample_made_to_be_explored_names_the_commands_that_explore_it(name):
    result = run_sample(name, "--fast")
    assert result.returncode == 0 and result.stderr == ""  # no numpy warning, even where the sample makes inf
    assert re.match(rf"{name}\.py records a graph of \d+ nodes; its output \w+ = ", result.stdout)
    for command in ("tui", "export", "check"):
        assert f"graphscope {command} samples/{name}.py" in result.stdout
    assert ("not finite" in result.stdout) == (name == "nan_origin")


@pytest.mark.parametrize("name", sorted(n for n, f in FIGURES.items() if len(f) > 1))
def test_a_file_name_with_an_unknown_ending_is_refused_where_a_sample_draws_several_figures(name, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        load(name).main(["--fast", "--plot", str(tmp_path / "one.txt")])
    captured = capsys.readouterr()
    assert stop.value.code == 2 and captured.out == ""  # refused before the run
    assert "give a folder, or a file ending in .png, .svg, .pdf" in captured.err


def test_plot_takes_a_folder_or_one_figures_file(cli, tmp_path):
    one, two = ("a.png",), ("a.png", "b.png")
    folder = cli.parse_args("x.py", "doc", ["--plot", str(tmp_path / "new" / "figs")], figures=two).plot
    assert not os.path.exists(tmp_path / "new")  # checked before the run, made by the first figure: a run that
    assert folder.path("b.png") == str(tmp_path / "new" / "figs" / "b.png")  # fails leaves no empty folder
    folder.write("b.png", lambda path, dpi: open(path, "w").close())
    assert os.path.isfile(tmp_path / "new" / "figs" / "b.png")
    assert cli.parse_args("x.py", "doc", ["--plot", str(tmp_path / "d.svg")], figures=one).plot.path("a.png") \
        == str(tmp_path / "d.svg")
    assert not cli.parse_args("x.py", "doc", [], figures=one).plot
    (tmp_path / "taken").write_text("")
    problems = {
        (str(tmp_path / "d.txt"), one): "give a folder, or a file ending in .png, .svg, .pdf",
        (str(tmp_path / "taken" / "d.png"), one): f"cannot make the folder {tmp_path / 'taken'}: ",
        (str(tmp_path / "taken"), one): "is a file; give a folder",
        (str(tmp_path), ()): "x.py draws no figures",
    }
    for (given, figures), message in problems.items():
        assert message in cli.plot_problem(given, figures, "x.py"), given


def test_a_figure_that_cannot_be_written_ends_the_run_in_one_line(cli, tmp_path, capsys):
    import graphscope as gs

    def full_disk(path, dpi):
        raise gs.GraphscopeError(f"cannot write plot {path}: No space left on device")
    with pytest.raises(SystemExit) as stop:
        cli.Plot(str(tmp_path), ("a.png",), "x.py").write("a.png", full_disk)
    assert stop.value.code == f"x.py: cannot write plot {tmp_path / 'a.png'}: No space left on device"
    assert "wrote" not in capsys.readouterr().out


def test_fast_comes_from_the_flag_or_graphscope_fast_1(cli, monkeypatch):
    monkeypatch.delenv("GRAPHSCOPE_FAST", raising=False)
    assert cli.parse_args("x.py", "doc", ["--fast"]).fast and not cli.parse_args("x.py", "doc", []).fast
    monkeypatch.setenv("GRAPHSCOPE_FAST", "0")
    assert not cli.parse_args("x.py", "doc", []).fast
    monkeypatch.setenv("GRAPHSCOPE_FAST", "1")
    assert cli.parse_args("x.py", "doc", []).fast


def test_one_figure_goes_into_a_folder_or_to_a_file(tmp_path, capsys):
    sample = load("svm_vs_softmax")
    assert sample.main(["--fast", "--plot", str(tmp_path / "figs")]) == 0
    assert sample.main(["--fast", "--plot", str(tmp_path / "descent.svg")]) == 0
    assert f"wrote {tmp_path / 'figs' / 'descent.png'}" in capsys.readouterr().out
    assert (tmp_path / "figs" / "descent.png").stat().st_size > 5000
    assert (tmp_path / "descent.svg").read_text().lstrip().startswith("<?xml")


def test_train_spiral_takes_fast_and_a_plot_folder(tmp_path):
    result = run_sample("train_spiral", "--fast", "--plot", str(tmp_path), "--no-progress")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].endswith("--schedule exp:0.01 --epochs 40 --batch-size 32 --reg 1e-4 "
                                                  f"--plot {tmp_path / 'train_spiral.png'} --no-progress")
    assert "40 epochs" in result.stdout and (tmp_path / "train_spiral.png").stat().st_size > 5000


# ---------------------------------------------------------------- settings()

def test_every_training_sample_suggests_its_settings():
    from graphscope.cli.trainfile import file_settings
    training = [n for n in ALL if hasattr(load(n), "data")]
    assert {"fc_net", "learning_rate", "update_rules", "hyperparameter_search", "train_spiral"} <= set(training)
    for name in training:
        module = load(name)
        assert hasattr(module, "settings"), f"{name}.py defines data() but not settings()"
        assert {"optimizer", "lr", "epochs", "batch_size"} <= set(file_settings(module, name))


def test_graphscope_train_trains_update_rules_as_the_sample_trains_adam(tmp_path, capsys):
    sample = load("update_rules")
    own = sample.lecture.train(sample.build(), "Adam", sample.RULES["Adam"], 2, batch_size=sample.BATCH)
    history = tmp_path / "h.json"
    code = graphscope(["train", os.path.join(SAMPLES, "update_rules.py"), "--epochs", "2", "--history", str(history),
                       "--no-progress"])
    assert code == 0, capsys.readouterr().err
    np.testing.assert_allclose(json.loads(history.read_text())["loss"], own.loss, rtol=1e-6)


def test_plot_into_a_folder_that_takes_no_files_dpi_alone_and_an_empty_plot_are_refused_before_the_run(cli, tmp_path,
                                                                                                          capsys):
    one = ("a.png",)
    (tmp_path / "notes.png").write_text("my notes")
    problems = {
        "/proc/x.png": "the folder /proc cannot be written",
        "/proc/figs": "cannot make the folder /proc/figs: /proc cannot be written",
        "/proc/figs/x.png": "cannot make the folder /proc/figs: /proc cannot be written",
        "": "--plot needs a folder or a file name",
        str(tmp_path / "notes.png"): "exists and is not a picture",
    }
    for given, message in problems.items():
        assert message in (cli.plot_problem(given, one, "x.py") or ""), given
    with pytest.raises(SystemExit) as stop:
        cli.parse_args("x.py", "doc", ["--dpi", "300"], figures=one)
    assert stop.value.code == 2 and "--dpi 300 goes with --plot PATH" in capsys.readouterr().err
    assert cli.parse_args("x.py", "doc", ["--plot", str(tmp_path), "--dpi", "300"], figures=one).plot.dpi == 300


def test_a_file_name_in_missing_folders_makes_them_as_a_folder_does(cli, tmp_path):
    plot = cli.parse_args("x.py", "doc", ["--plot", str(tmp_path / "slides" / "talk" / "vg.pdf")],
                          figures=("a.png", "b.png")).plot
    assert not (tmp_path / "slides").exists()  # accepted, and made by the first figure written
    assert plot.path("b.png") == str(tmp_path / "slides" / "talk" / "vg_b.pdf")
    plot.write("b.png", lambda path, dpi: open(path, "w").close())
    assert (tmp_path / "slides" / "talk" / "vg_b.pdf").is_file()


def test_a_refused_plot_leaves_no_folder_it_made(cli, tmp_path):
    given = tmp_path / "fresh" / "sub" / "fig.png"
    assert "is the input file itself" in cli.plot_problem(str(given), ("a.png",), "x.py", str(given))
    assert not (tmp_path / "fresh").exists()   # refused after making its folders: they go again
    (tmp_path / "kept").mkdir()
    assert "is the input file itself" in cli.plot_problem(str(tmp_path / "kept" / "new" / "fig.png"), ("a.png",),
                                                          "x.py", str(tmp_path / "kept" / "new" / "fig.png"))
    assert (tmp_path / "kept").is_dir() and not (tmp_path / "kept" / "new").exists()   # what was there stays


@pytest.mark.parametrize("argv, message", [
    (["--dpi", "5"], "--dpi 5: give a whole number of dots per inch from 50 to 1200"),
    (["--plot", "figs/one.txt"], "--plot figs/one.txt: give a folder, or a file ending in .png, .svg, .pdf"),
    (["--no-terminal-plot"], "--no-terminal-plot: svm_vs_softmax.py draws no curves in the terminal (it prints its "
                             "findings as text); run it without --no-terminal-plot"),
])
def test_a_bad_option_value_is_refused_in_one_line_without_the_usage(argv, message, tmp_path):
    result = run_sample("svm_vs_softmax", *argv, cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == f"svm_vs_softmax.py: {message}\n"


#: The samples that draw curves in the terminal, and so take --no-terminal-plot.
TERMINAL = ("activations", "batchnorm", "dropout", "fc_net", "learning_rate", "update_rules", "vanishing_gradients",
            "weight_init_zero")


@pytest.mark.parametrize("name", sorted({*FIGURES, *EXPLORE} - set(TERMINAL)))
def test_a_sample_that_draws_no_terminal_curves_refuses_no_terminal_plot_in_one_line(name, cli, capsys):
    sample = load(name)
    main = getattr(sample, "main", None) or (lambda argv: cli.explore(os.path.join(SAMPLES, f"{name}.py"),
                                                                       sample.__doc__, sample.build, argv))
    with pytest.raises(SystemExit) as stop:
        main(["--no-terminal-plot"])
    err = capsys.readouterr().err
    assert stop.value.code == 2 and err.count("\n") == 1 and err.startswith(f"{name}.py: --no-terminal-plot: ")
    with pytest.raises(SystemExit):
        main(["--help"])
    assert "--no-terminal-plot  not taken: this sample " in capsys.readouterr().out.replace("\n", " ")


@pytest.mark.parametrize("name", TERMINAL)
def test_a_sample_that_draws_terminal_curves_takes_no_terminal_plot(name, capsys):
    with pytest.raises(SystemExit):
        load(name).main(["--help"])
    assert "skip the curves drawn in the terminal" in capsys.readouterr().out


def test_train_spiral_prints_the_command_it_runs_with_each_option_once(tmp_path):
    sample = load("train_spiral")
    assert sample.merged_options(["--lr", "0.5", "--epochs", "300"], ["--epochs", "40"],
                                 ["--optimizer", "adam", "--lr=0.01", "--epochs", "7"]) == \
        ["--lr", "0.01", "--epochs", "7", "--optimizer", "adam"]
    result = run_sample("train_spiral", "--fast", "--optimizer", "adam", "--lr", "0.01", "--epochs", "2",
                        "--no-progress", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    command, note = result.stdout.splitlines()[:2]
    assert command.endswith("train_spiral.py --optimizer adam --lr 0.01 --schedule exp:0.01 --epochs 2 "
                            "--batch-size 32 --reg 1e-4 --no-progress")
    assert note == "(the learning rate still decays by exp:0.01 an epoch: --schedule none keeps it constant)"
    assert "Adam lr 0.01 (exp:0.01)" in result.stdout and "2 epochs" in result.stdout


def test_the_readme_says_which_sample_takes_which_option():
    readme = open(os.path.join(os.path.dirname(SAMPLES), "README.md"), encoding="utf-8").read()
    section = readme.split("Which sample takes which option", 1)[1].split("\n\n", 3)
    rows = dict(re.findall(r"^\| `(--[\w-]+)[^|]*\| ([^|]+) \|$", section[1], re.M))
    listed = {option: {n.strip() for n in names.split(",")} for option, names in rows.items()}
    assert listed["--plot"] == {n for n, f in FIGURES.items() if f}
    assert listed["--no-terminal-plot"] == set(TERMINAL)
    assert rows["--dpi"] == "the same, but for train_spiral"
    prose = " ".join(section[2].split())
    no_figures = re.findall(r"\w+", prose.split("draw no figures (", 1)[1].split(")", 1)[0].replace(
        "and the samples made to be explored by graphscope's commands", ""))
    assert set(no_figures) == {n for n, f in FIGURES.items() if not f} | set(EXPLORE)


def test_train_spiral_takes_no_dpi_it_could_not_pass_on(capsys, monkeypatch):
    monkeypatch.syspath_prepend(SAMPLES)
    with pytest.raises(SystemExit):
        load("train_spiral").main(["--help"])
    assert "--dpi" not in capsys.readouterr().out
