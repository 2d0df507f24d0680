"""The README reads as markdown and its training example runs as written (with fewer epochs)."""
import pathlib
import re

README = (pathlib.Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


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
