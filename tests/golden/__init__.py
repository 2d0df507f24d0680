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

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
UPDATE_COMMAND = "python -m tests.golden --update"


def graphscope(*args):
    """stdout then stderr of `python -m graphscope ARGS` run from the project root, with the root written <root>."""
    proc = subprocess.run([sys.executable, "-m", "graphscope", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    text = f"$ graphscope {' '.join(args)}\n{proc.stdout}"
    if proc.stderr:
        text += f"--- stderr\n{proc.stderr}"
    text += f"--- exit status {proc.returncode}\n"
    return text.replace(ROOT + os.sep, "<root>/")


def neuron_dot_at_step_3():
    """The DOT text of the lecture's neuron at forward step 3: labels, padding, colours, ids."""
    from graphscope.examples import lecture_example
    from graphscope import viz
    from graphscope.stepper import Stepper
    return viz.to_dot(Stepper(lecture_example()), step=3)


def neuron_dot_backward():
    """The DOT text of the lecture's neuron at its second-to-last step (edge gradients, partial gradients)."""
    from graphscope.examples import lecture_example
    from graphscope import viz
    from graphscope.stepper import Stepper
    return viz.to_dot(Stepper(lecture_example()), step=-2)


#: file name -> what makes its text
CASES = {
    "check_wrong_backward.txt": lambda: graphscope("check", "samples/wrong_backward.py"),
    "check_nan_origin.txt": lambda: graphscope("check", "samples/nan_origin.py", "--nodes-only"),
    "check_custom_op.txt": lambda: graphscope("check", "samples/custom_op.py"),
    "export_step_out_of_range.txt": lambda: graphscope("export", "samples/neuron.py", "-o", "never.dot",
                                                       "--step", "99"),
    "neuron_step3.dot": neuron_dot_at_step_3,
    "neuron_backward.dot": neuron_dot_backward,
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
