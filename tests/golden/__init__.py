"""Golden files: the exact wording of a few commands and pictures, kept in tests/golden/*.txt / *.dot.

Each case makes its text afresh (the commands in a fresh process, run
from the project root, as a user types them); tests/test_golden.py
compares it with the stored file. After changing wording on purpose:

    python -m tests.golden --update     # rewrite every golden file
    python -m tests.golden              # list the cases that differ, with a diff

Other tests assert behaviour (exit status, the node named, the file
written) and leave the wording to these files.
"""
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
UPDATE_COMMAND = "python -m tests.golden --update"


def graphscope(*args, cwd=ROOT):
    """stdout then stderr of `python -m graphscope ARGS` run from `cwd` (the project root), the root written <root>."""
    proc = subprocess.run([sys.executable, "-m", "graphscope", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300)
    text = f"$ graphscope {' '.join(args)}\n{proc.stdout}"
    if proc.stderr:
        text += f"--- stderr\n{proc.stderr}"
    text += f"--- exit status {proc.returncode}\n"
    return text.replace(ROOT + os.sep, "<root>/")


def drawn(sample, *args):
    """The DOT file `graphscope export samples/SAMPLE -o FILE.dot ARGS` writes (a fresh process: stable ids)."""
    with tempfile.TemporaryDirectory() as folder:
        out = os.path.join(folder, "picture.dot")
        said = graphscope("export", f"samples/{sample}", "-o", out, *args)
        if not os.path.exists(out):
            raise AssertionError(f"no picture written:\n{said}")
        with open(out, encoding="utf-8") as fh:
            return fh.read()


#: Users' files that cannot be used, by name: what each command says about them.
BAD_FILES = {
    "raises.py": "def build():\n    raise ValueError('no data here')\n",
    "needs_args.py": "def build(batch, seed):\n    pass\n",
    "shapes.py": ("import numpy as np\nimport graphscope as gs\n\n\ndef build():\n"
                  "    return gs.tensor(np.ones((2, 3))) @ gs.tensor(np.ones((2, 3)))\n"),
}


def bad_files():
    """`graphscope export` on each of BAD_FILES, written to a fresh folder and named as seen from it."""
    with tempfile.TemporaryDirectory() as folder:
        texts = []
        for name, text in BAD_FILES.items():
            with open(os.path.join(folder, name), "w", encoding="utf-8") as fh:
                fh.write(text)
            texts.append(graphscope("export", name, "-o", "out.svg", cwd=folder))
        return "\n".join(texts).replace(os.path.realpath(folder), "<folder>").replace(folder, "<folder>")


#: file name -> what makes its text
CASES = {
    "demo_chain_rule.txt": lambda: graphscope("demo"),
    "check_wrong_backward.txt": lambda: graphscope("check", "samples/wrong_backward.py"),
    "check_nan_origin.txt": lambda: graphscope("check", "samples/nan_origin.py", "--nodes-only"),
    "check_custom_op.txt": lambda: graphscope("check", "samples/custom_op.py"),
    "export_step_out_of_range.txt": lambda: graphscope("export", "samples/chain_rule.py", "-o", "never.dot",
                                                       "--step", "99"),
    "bad_user_files.txt": bad_files,
    "chain_rule_step2.dot": lambda: drawn("chain_rule.py", "--step", "2"),
    "chain_rule_backward.dot": lambda: drawn("chain_rule.py", "--step", "8"),
}


def path_of(name):
    return os.path.join(HERE, name)


def stored(name):
    """The golden text of case `name` (None when the file does not exist yet)."""
    try:
        with open(path_of(name), encoding="utf-8", newline="") as fh:
            return fh.read()
    except FileNotFoundError:
        return None
