"""Running graphscope as a user runs it, with failures that show what the command said."""
import os
import subprocess
import sys


class Ran:
    """A finished command: exit status, stdout, stderr; ``expect`` asserts the status and shows both streams."""

    def __init__(self, args, proc):
        self.args = args
        self.code = proc.returncode
        self.out = proc.stdout
        self.err = proc.stderr

    def expect(self, code):
        assert self.code == code, (f"`graphscope {' '.join(self.args)}` exited {self.code}, expected {code}\n"
                                   f"--- stderr\n{self.err}--- stdout\n{self.out}")
        return self


def graphscope(*args, cwd=None, timeout=300, env=None):
    """`python -m graphscope ARGS` in a fresh process (automatic node names count from the same start); `env`:
    variables set (or, empty, unset) for it on top of this process's."""
    args = [str(a) for a in args]
    if env is not None:
        env = {k: v for k, v in dict(os.environ, **env).items() if v != "" or k not in env}
    proc = subprocess.run([sys.executable, "-m", "graphscope", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=timeout, env=env)
    return Ran(args, proc)


def in_process(main, capsys, *args):
    """graphscope's main(ARGS) in this process: (exit status, stdout, stderr)."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def clean_failure(text):
    """True when a failure was reported as a message, not a Python traceback (an ImportError also exits 1)."""
    return "Traceback (most recent call last)" not in text
