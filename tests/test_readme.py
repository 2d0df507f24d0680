"""The README reads as markdown and its training example runs as written (with fewer epochs)."""
import pathlib
import re

README_PATH = pathlib.Path(__file__).resolve().parent.parent / "README.md"
README = README_PATH.read_text(encoding="utf-8")


def test_every_code_fence_is_closed_and_no_heading_hides_inside_one():
    inside = False
    for number, line in enumerate(README.splitlines(), 1):
        if line.startswith("```"):
            inside = not inside
        elif inside and line.startswith("## "):
            raise AssertionError(f"README.md:{number}: heading {line!r} inside a code block")
    assert not inside, "README.md ends inside a code block"


def test_the_training_example_runs_and_learns(capsys):
    section = README.split("## Training the recorded graph", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    assert "epochs=200" in code
    exec(compile(code.replace("epochs=200", "epochs=30"), "README.md", "exec"), {})
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[-1].startswith("(") and "of 30 epochs shown" in lines[-1]   # a long run's table is thinned
    last = lines[-2].split()
    assert last[0] == "30" and float(last[2].rstrip("%")) >= 85.0, last


def _section(title):
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def _fences(text, language=""):
    return re.findall(rf"```{language}\n(.*?)```", text, re.S)


def test_the_library_section_has_as_many_lines_as_its_heading_says():
    (title,) = re.findall(r"^## The library in (\w+) lines$", README, re.M)
    code = _fences(_section(f"The library in {title} lines"), "python")[0]
    words = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13}
    assert len(code.strip().splitlines()) == words[title]
    assert f"[The library in {title} lines](#the-library-in-{title}-lines)" in README


def test_extras_are_installed_from_the_checkout_and_quoted():
    assert not re.search(r"pip install (-e )?\.\[", README)              # unquoted: the shell may glob it
    assert "graphscope[" not in README                                    # the index's graphscope is another project
    root = README_PATH.parent
    told = [str(f.relative_to(root)) for folder in ("graphscope", "samples") for f in (root / folder).rglob("*.py")
            if re.search(r"install ['\"]?graphscope\[", f.read_text(encoding="utf-8"))]
    assert told == []                                                     # nor do the messages of the code
    for extra in re.findall(r"pip install -e '\.\[(\w+)\]'", README):
        assert f"\n{extra} = [" in (README_PATH.parent / "pyproject.toml").read_text(encoding="utf-8")


def test_the_training_files_settings_are_fc_nets_own():
    import sys
    section = README.split("### Training files and `graphscope train`", 1)[1]
    code = _fences(section, "python")[0]
    scope = {}
    exec(code, scope)
    sys.path.insert(0, str(README_PATH.parent / "samples"))
    try:
        from sample_modules import load_sample
        fc_net = load_sample("fc_net", "readme_fc_net")
    finally:
        sys.path.pop(0)
    assert scope["settings"]() == fc_net.settings()


def test_the_guard_example_shows_what_a_fresh_process_shows(tmp_path):
    import subprocess
    import sys
    code = _fences(README.split("values that would answer otherwise are refused", 1)[1], "python")[0]
    lines = [line for line in code.splitlines() if line.strip()]
    shown = [(line.split("#")[0].strip(), line.split("#", 1)[1].split(":")[0].strip())
             for line in lines if line.startswith("g.guards")]
    setup = "\n".join(line.split("#")[0] for line in lines if not line.startswith(("g.guards", "g.run")))
    program = "import graphscope as gs\n" + setup + "\n" + "\n".join(f"print(repr({e}))" for e, _ in shown)
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == [comment for _, comment in shown]


def test_the_update_phase_commands_walk_the_same_step_the_text_shows(tmp_path, capsys, monkeypatch):
    import shlex
    from graphscope.cli import main as graphscope
    section = README.split("### The update phase", 1)[1]
    commands = [shlex.split(line.split("#")[0]) for line in _fences(section, "sh")[0].splitlines() if line.strip()]
    walk = re.search(r"\n```\n(step .*?)```", section, re.S).group(1)   # the walk's text at that step
    settings = [{o: c[c.index(o) + 1] for o in ("--optimizer", "--lr") if o in c} for c in commands]
    assert len(commands) == 2 and settings[0] == settings[1] and "--lr" in settings[0]   # one step, both ways
    export = commands[1]
    export[export.index("-o") + 1] = str(tmp_path / "w2.svg")
    monkeypatch.chdir(README_PATH.parent)
    assert graphscope(export[1:]) == 0
    ratio = re.search(r"update/weight (\S+) \(", capsys.readouterr().out).group(1)
    assert f"update/weight {ratio})" in walk and f"update/weight = {ratio} " in walk
