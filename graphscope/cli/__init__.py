"""The graphscope command. Each subcommand lives in its own module with
``add_parser(subparsers)`` registering it and a ``run(args)`` it points to."""
import argparse
import os
import sys

from ..engine.errors import GraphscopeError
from ..version import __version__
from . import check, demo, export, tui

#: Subcommand modules, in the order `graphscope --help` lists them.
COMMANDS = [demo, tui, check, export]


def build_parser():
    parser = argparse.ArgumentParser(prog="graphscope",
                                     description="See backpropagation happen, node by node.")
    parser.add_argument("--version", action="version", version=f"graphscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.argv = argv  # what was typed: messages suggest the same command with an option added
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    import numpy as np
    try:
        with np.errstate(all="ignore"):  # a NaN is shown where it is made (see cli.common), never warned about
            code = args.run(args)
        sys.stdout.flush()
        return code
    except GraphscopeError as exc:
        print(f"graphscope {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, and keep Python from complaining at exit
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
