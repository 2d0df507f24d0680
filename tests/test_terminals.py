"""graphscope in any terminal and environment: an output encoding without its glyphs (ascii, latin-1) gets ASCII
equivalents, never a UnicodeEncodeError; TERM=dumb and NO_COLOR get no colour codes and the walk as text instead
of the full-screen UI; matplotlib finds a writable settings folder; a missing `dot` is said in two lines."""
import io
import os
import subprocess
import sys
import threading

import pytest

from graphscope.util import mplconfig
from graphscope.util.terminal import (ASCII_FALLBACK, ascii_glyph, colour_allowed, holds_glyphs,
                                      no_fullscreen_reason, safe_stream)
from graphscope.viz import render

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(ROOT, "samples")


def environment(**changes):
    """This environment with the worktree first on the path, `changes` set (None: removed)."""
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for key, value in changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def started(argv, cwd, **env):
    """`argv` started with `env` changed, its input empty, its output and errors captured."""
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, cwd=cwd,
                            env=environment(**env))


def finished(process):
    """The process's run, once it ends: a CompletedProcess."""
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def graphscope(*args, cwd, **env):
    return finished(started([sys.executable, "-m", "graphscope", *args], cwd, **env))


def in_a_terminal(argv, **env):
    """Run `argv` with its standard input and output on a pseudo-terminal: (exit status, what the terminal got,
    standard error)."""
    import pty
    master, slave = pty.openpty()
    process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=subprocess.PIPE, env=environment(**env))
    os.close(slave)
    chunks = []

    def drain():
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # the other end closed
                return
            if not data:
                return
            chunks.append(data)
    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        err = process.communicate(timeout=60)[1]
    finally:
        process.kill()
    reader.join(5)
    os.close(master)
    return process.returncode, b"".join(chunks), err.decode("utf-8", "replace")


# ---------------------------------------------------------------- the ASCII fallbacks


def test_each_glyph_has_its_ascii_equivalent_and_anything_else_is_a_question_mark():
    expected = {"≈": "~", "←": "<-", "→": "->", "·": ".", "×": "x", "✓": "ok", "✗": "X", "…": "...",
                "─": "-", "━": "-", "│": "|", "┌": "+", "┘": "+", "├": "+", "┼": "+", "╭": "+", "╌": "-",
                "⣿": "#", "⠁": "#", "▄": "#", "•": ".", "é": "e", "中": "?", "∂": "d"}
    assert {ch: ascii_glyph(ch) for ch in expected} == expected
    text = "forward · step 2/9 ≈ 0 ← x ┌─┐ ⣿ 中"
    assert text.encode("ascii", ASCII_FALLBACK) == b"forward . step 2/9 ~ 0 <- x +-+ # ?"
    assert text.encode("latin-1", ASCII_FALLBACK) == "forward · step 2/9 ~ 0 <- x +-+ # ?".encode("latin-1")


def test_a_stream_that_cannot_hold_the_glyphs_writes_their_ascii_instead():
    raw = io.BytesIO()
    ascii_out = io.TextIOWrapper(raw, encoding="ascii")
    assert not holds_glyphs(ascii_out) and safe_stream(ascii_out)
    ascii_out.write("loss ≈ 0.5 ← best\n")
    ascii_out.flush()
    assert raw.getvalue() == b"loss ~ 0.5 <- best\n"
    utf8_out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    assert holds_glyphs(utf8_out) and not safe_stream(utf8_out) and utf8_out.errors == "strict"


@pytest.fixture(scope="module")
def ascii_runs(tmp_path_factory):
    """The commands the report crashed, run once under PYTHONIOENCODING=ascii: {name: CompletedProcess}."""
    out = tmp_path_factory.mktemp("ascii")
    commands = {
        "demo": ("demo", os.path.join(SAMPLES, "two_layer.py"), "--text", "--save", "w.gsgraph"),
        "tui": ("tui", os.path.join(SAMPLES, "two_layer.py")),
        "check": ("check", os.path.join(SAMPLES, "deep_mlp.py"), "--layers"),
        "train": ("train", os.path.join(SAMPLES, "train_spiral.py"), "--epochs", "3", "--plot", "c.png",
                  "--history", "h.json", "--layers"),
        "search": ("search", os.path.join(SAMPLES, "train_spiral.py"), "--trials", "2", "--epochs", "1",
                   "--fine-trials", "0"),
    }
    running = {name: started([sys.executable, "-m", "graphscope", *args], out, PYTHONIOENCODING="ascii")
               for name, args in commands.items()}  # side by side: the machine's cores share the wait
    running["latin-1 demo"] = started([sys.executable, "-m", "graphscope", "demo", "--text"], out,
                                      PYTHONIOENCODING="latin-1")
    for name in ("update_rules", "train_spiral"):
        running[name] = started([sys.executable, os.path.join(SAMPLES, f"{name}.py"), "--fast"], out,
                                PYTHONIOENCODING="ascii")
    runs = {name: finished(process) for name, process in running.items()}
    return out, runs


@pytest.mark.parametrize("name", ["demo", "tui", "check", "train", "search", "latin-1 demo", "update_rules",
                                  "train_spiral"])
def test_commands_and_samples_run_whole_in_an_ascii_terminal(ascii_runs, name):
    _, runs = ascii_runs
    run = runs[name]
    assert run.returncode == 0, run.stderr.decode("utf-8", "replace")
    assert b"Traceback" not in run.stderr and b"Error" not in run.stderr
    if name != "latin-1 demo":
        run.stdout.decode("ascii")  # every byte ASCII
        run.stderr.decode("ascii")


def test_in_ascii_the_walk_and_the_curve_use_ascii_glyphs_and_the_files_are_written(ascii_runs):
    out, runs = ascii_runs
    assert b"~0" in runs["demo"].stdout or b"mean~" in runs["demo"].stdout
    assert b"# loss per iteration" in runs["train"].stdout  # the braille curve's marker, as the curve shows it
    assert b"<- best" in runs["search"].stdout
    assert (out / "w.gsgraph").exists() and (out / "c.png").exists() and (out / "h.json").exists()


def test_a_sample_whose_reader_leaves_exits_as_it_would_have():
    run = subprocess.run(f"'{sys.executable}' '{os.path.join(SAMPLES, 'gradient_check.py')}' | head -3; "
                         f"exit ${{PIPESTATUS[0]}}", shell=True, executable="/bin/bash", capture_output=True,
                         env=environment(), timeout=120)
    assert run.returncode == 0 and len(run.stdout.splitlines()) == 3 and not run.stderr


# ---------------------------------------------------------------- TERM=dumb, NO_COLOR, not UTF-8: no TUI, no colour


class FakeTerminal(io.StringIO):
    encoding = "utf-8"

    def isatty(self):
        return True


@pytest.mark.parametrize("env, allowed", [({}, True), ({"NO_COLOR": "1"}, False), ({"NO_COLOR": ""}, True),
                                          ({"TERM": "dumb"}, False)])
def test_colour_only_where_the_terminal_shows_it_and_the_user_wants_it(monkeypatch, env, allowed):
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert colour_allowed(FakeTerminal()) is allowed
    assert colour_allowed(io.StringIO()) is False  # a pipe or a file never gets colour


def test_the_full_screen_ui_says_why_it_cannot_draw(monkeypatch):
    monkeypatch.setenv("TERM", "xterm")
    assert no_fullscreen_reason(FakeTerminal()) is None
    monkeypatch.setenv("TERM", "dumb")
    assert "TERM=dumb" in no_fullscreen_reason(FakeTerminal())
    monkeypatch.setenv("TERM", "xterm")
    latin = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")
    assert no_fullscreen_reason(latin) == ("the TUI needs a UTF-8 terminal (this one is iso8859-1): set "
                                           "LANG=C.UTF-8 or PYTHONIOENCODING=utf-8")


@pytest.mark.parametrize("env, why", [({"TERM": "dumb"}, "TERM=dumb"),
                                      ({"PYTHONIOENCODING": "ascii"}, "needs a UTF-8 terminal (this one is ascii)")])
def test_in_a_terminal_the_tui_cannot_draw_on_the_demo_prints_the_walk_and_says_why(env, why):
    code, shown, err = in_a_terminal([sys.executable, "-m", "graphscope", "demo"], **env)
    assert code == 0 and why in err and "showing the text walk instead" in err and len(err.splitlines()) == 1
    assert b"backward pass" in shown and b"\x1b[" not in shown


def test_no_color_drops_the_curves_colour_codes_in_a_terminal():
    argv = [sys.executable, os.path.join(SAMPLES, "update_rules.py"), "--fast"]
    assert b"\x1b[38;5;" in in_a_terminal(argv, NO_COLOR=None, TERM="xterm")[1]  # colour, when it is wanted
    code, shown, _ = in_a_terminal(argv, NO_COLOR="1", TERM="xterm")
    assert code == 0 and b"\x1b[38;5;" not in shown and b"\x1b[0m" not in shown


# ---------------------------------------------------------------- matplotlib's settings folder


@pytest.fixture
def unwritable_home(monkeypatch, tmp_path):
    """matplotlib not imported yet, no MPLCONFIGDIR, and its default folders not writable."""
    monkeypatch.delitem(sys.modules, "matplotlib", raising=False)
    monkeypatch.delenv("MPLCONFIGDIR", raising=False)
    monkeypatch.setattr(mplconfig, "_can_write", lambda folder: False)
    return tmp_path


def test_matplotlib_gets_a_private_folder_in_the_temporary_folder(unwritable_home, monkeypatch):
    monkeypatch.setattr(mplconfig.tempfile, "gettempdir", lambda: str(unwritable_home))
    assert mplconfig.matplotlib_folder_problem() is None
    folder = os.environ["MPLCONFIGDIR"]
    assert os.path.dirname(folder) == str(unwritable_home) and os.stat(folder).st_mode & 0o777 == 0o700


def test_without_a_temporary_folder_matplotlib_works_beside_the_picture_or_says_so_in_a_line(unwritable_home,
                                                                                               monkeypatch):
    def no_temporary_folder():
        raise FileNotFoundError("no usable temporary directory")
    monkeypatch.setattr(mplconfig.tempfile, "gettempdir", no_temporary_folder)
    problem = mplconfig.matplotlib_folder_problem()
    assert "MPLCONFIGDIR" in problem and "\n" not in problem and "MPLCONFIGDIR" not in os.environ
    assert mplconfig.matplotlib_folder_problem(near=str(unwritable_home / "figs" / "c.png")) is None
    folder = os.environ["MPLCONFIGDIR"]
    assert os.path.dirname(folder) == str(unwritable_home)  # beside it, never making the picture's own folder
    assert not (unwritable_home / "figs").exists()


# ---------------------------------------------------------------- without Graphviz


@pytest.mark.parametrize("release, kind", [("ID=debian\n", "debian"), ('ID=ubuntu\nID_LIKE="debian"\n', "debian"),
                                           ("ID=fedora\n", "fedora"), ('ID="rocky"\nID_LIKE="rhel centos fedora"\n',
                                                                       "fedora"), ("ID=arch\n", None)])
def test_the_install_command_is_this_systems(tmp_path, release, kind):
    (tmp_path / "os-release").write_text(release)
    assert render.system_kind({}, "linux", str(tmp_path / "os-release")) == kind
    assert render.system_kind({"CONDA_PREFIX": "/opt/conda"}, "linux", str(tmp_path / "os-release")) == "conda"
    assert render.system_kind({}, "darwin") == "macos"
    assert render.install_advice("debian") == "install it with `sudo apt-get install graphviz`"
    assert render.install_advice(None) == f"install it from {render.DOWNLOAD_URL}"


def test_without_dot_the_message_names_what_needs_it_in_one_line_and_what_works_in_another(tmp_path):
    empty = tmp_path / "bin"
    empty.mkdir()
    run = graphscope("export", os.path.join(SAMPLES, "two_layer.py"), "-o", "a.html", cwd=tmp_path, PATH=str(empty))
    lines = run.stderr.decode().splitlines()
    assert run.returncode == 2 and len(lines) == 2 and not (tmp_path / "a.html").exists()
    assert "HTML step-player" in lines[0] and render.install_advice() in lines[0]
    assert ".dot" in lines[1] and ".onnx" in lines[1] and "--text" in lines[1]


# ---------------------------------------------------------------- outputs checked first


def test_demo_save_into_a_folder_it_cannot_write_is_refused_before_the_walk(tmp_path, monkeypatch, capsys):
    from graphscope.cli import main
    import errno
    import tempfile
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args, dir=None, **kwargs):  # the folder refuses new files, as a read-only one does (even for root)
        if dir is not None and os.path.abspath(dir) == str(tmp_path):
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_mkstemp(*args, dir=dir, **kwargs)
    monkeypatch.setattr(tempfile, "mkstemp", mkstemp)
    code = main(["demo", "--save", str(tmp_path / "w.gsgraph")])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and f"the folder {tmp_path} cannot be written: permission denied" in err
