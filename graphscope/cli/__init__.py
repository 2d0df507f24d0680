"""The graphscope command. Each subcommand lives in its own module with
``add_parser(subparsers)`` registering it and a ``run(args)`` it points to.

Exit status: 0 done; 1 a problem was found in the graph (``check``: a wrong
backward, a NaN); 2 the command could not do its work (a usage error, a file
that is missing, unreadable or lacks what the command needs, an output that
cannot be written), with one message on stderr and never a traceback;
3 (``check`` and ``train --sanity``) nothing failed, but not everything was
checked (``check``: some node or leaf could not be judged, its gradients 0
wherever checked; ``--sanity``: a check could not be made for this model,
marked [skip]); 130 interrupted.
"""
import argparse
import os
import shlex
import sys

from ..engine.errors import GraphscopeError
from ..engine.words import did_you_mean
from ..userfile import exit_text, own_exit
from ..version import __version__
from . import check, demo, export, tui
from ..util.closedpipe import reader_may_leave
from ..util.terminal import safe_streams
from ..engine.visible import visible
from .common import OptionProblems, report_bad_options
from .helptext import HelpFormatter
from . import search as search_command, train as train_command

#: Exit status of a command that found a problem in the graph, and of one that could not do its work.
FOUND_PROBLEM = 1
ERROR = 2

#: Subcommand modules, in the order `graphscope --help` lists them.
COMMANDS = [demo, tui, check, export, train_command, search_command]

EXAMPLES = """examples:
  graphscope demo                                   the lecture's f = (x + y) z, step by step
  graphscope tui samples/two_layer.py               step through a graph in the terminal
  graphscope check samples/wrong_backward.py        which node's backward is wrong
  graphscope export samples/chain_rule.py -o step6.svg --step 6
  graphscope train samples/fc_net.py                train a training file (build() and data())
  graphscope search samples/train_spiral.py --trials 9 --epochs 5

graphscope COMMAND --help shows a command's options, with examples.
"""


def build_parser():
    parser = argparse.ArgumentParser(prog="graphscope",
                                     description="See backpropagation happen, node by node.")
    parser.add_argument("--version", action="version", version=f"graphscope {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(sub)
    for command in sub.choices.values():  # one --help layout: lines as written, none wider than the terminal
        command.formatter_class = HelpFormatter
    parser.set_defaults(commands=sub.choices)
    parser.epilog = EXAMPLES
    parser.formatter_class = HelpFormatter
    return parser


#: Words a user may type for a command graphscope spells otherwise, and what to type instead.
LIKELY = {"onnx": "export FILE -o MODEL.onnx", "draw": "export FILE -o graph.svg",
          "svg": "export FILE -o graph.svg", "png": "export FILE -o graph.png", "html": "export FILE -o steps.html",
          "plot": "export FILE -o graph.svg", "render": "export FILE -o graph.svg", "dot": "export FILE -o graph.dot",
          "fit": "train FILE", "run": "train FILE", "gradcheck": "check FILE", "grad": "check FILE",
          "verify": "check FILE", "test": "check FILE", "ui": "tui FILE", "view": "tui FILE", "show": "tui FILE",
          "step": "demo FILE --text", "walk": "demo FILE --text", "tune": "search FILE", "sweep": "search FILE",
          "hyper": "search FILE", "save": "demo FILE --save graph.gsgraph"}


def parse(parser, argv):
    """The parsed arguments; a mistyped command or an option the command does not know is a usage error
    (exit 2) with the nearest names."""
    commands = parser.get_default("commands")
    first = next((word for word in argv if not word.startswith("-")), None)
    if first is not None and first not in commands and not any(w in ("-h", "--help", "--version") for w in argv):
        likely = LIKELY.get(first.lower())
        file = next((w for w in argv[argv.index(first) + 1:] if not w.startswith("-")), None)
        if likely and file:  # the user's own file in the command to type
            stem = os.path.splitext(os.path.basename(file))[0] or "model"
            likely = likely.replace("FILE", shlex.quote(file)).replace("MODEL", stem)
        parser.error(f"unknown command {first!r}; the commands: {', '.join(commands)}"
                     + (f"; for {first}, type `graphscope {likely}`" if likely else did_you_mean(first, list(commands))))
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = args.commands.get(getattr(args, "command", None) or "", parser)
        known = sorted(o for action in command._actions for o in action.option_strings)
        hints = "".join(did_you_mean(word.split("=", 1)[0], known) for word in extra if word.startswith("-"))
        command.error(f"unrecognized arguments: {' '.join(extra)}{hints}")
    return args


def main(argv=None):
    safe_streams()  # an output encoding without graphscope's glyphs (ascii, latin-1) gets their ASCII equivalents
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse(parser, argv)
    args.argv = argv  # what was typed: messages suggest the same command with an option added
    if not getattr(args, "run", None):
        parser.print_help()
        return ERROR
    import numpy as np
    try:
        # a reader that leaves (`| head`) changes nothing: the command ends as it would have, with its exit status
        with reader_may_leave() as out, np.errstate(all="ignore"):  # a NaN is shown where it is made, not warned of
            code = args.run(args)
            out.flush()
        return code
    except OptionProblems as exc:
        return report_bad_options(args.command, exc.problems)
    except GraphscopeError as exc:  # a name's control characters written out (\x1b), not obeyed by the terminal
        print(f"graphscope {args.command}: {visible(str(exc), keep=chr(10))}", file=sys.stderr)
        return ERROR
    except KeyboardInterrupt as exc:  # Ctrl-C: one line (training says which checkpoint is kept), no traceback
        print(f"graphscope {args.command}: {str(exc) or 'interrupted'}", file=sys.stderr)
        return 130
    except SystemExit as exc:  # sys.exit in a user's code graphscope called (a custom op's VJP): not its status
        if own_exit(exc):
            raise
        print(f"graphscope {args.command}: {exit_text(exc)}", file=sys.stderr)
        return ERROR
    except BrokenPipeError:  # written past sys.stdout (a stream kept from before): the work stopped half-way
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no complaint from Python at exit
        return ERROR
