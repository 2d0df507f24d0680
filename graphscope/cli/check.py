"""graphscope check FILE: which node's backward is wrong, which node made a NaN.

Runs, on the graph a sample's build() returns (or a saved graph file):

1. the NaN/Inf origin search (the node that first made a non-finite value or
   gradient);
2. the per-node check: every op node's VJP against finite differences of its
   own forward, one table row a node, in topological order;
3. the whole-graph gradcheck of the leaves that require a gradient.

Where a node's analytic and numerical gradients are both 0 at every entry
checked, a wrong VJP would pass as well: such nodes and leaves are marked
"not judged (all 0)" and named in a warning, which says why when the graph
shows it (almost no gradient reaches a leaf: a vanishing gradient; another
input of the node is all 0: dead units or zero weights upstream; a ReLU's
input is <= 0: dead units), else suggests other input values. One where no entry could be compared (every finite difference
sampled was not finite) is "not judged (no finite differences)". Each
failing node is described in full (the first five), with the line of its
op's VJP.

--layers adds the layer statistics of the graph's pass (the batch build()
recorded) and their diagnosis: where the gradient vanishes, which units are
dead, which weights are symmetric.

A saved graph is also checked on load: each op node is recomputed from its
saved inputs, and a value that disagrees (the ops given with --import are
not those that wrote the file) fails the check.

Exit status 0 when everything passed, 1 when a node failed, a NaN was found
or a saved graph's values disagree with its ops, 3 when nothing failed but
some node or leaf could not be judged, 2 when the file could not be checked
or an option is out of range; the same when the output's reader leaves early
(`graphscope check FILE | head`).
--json prints the same results as one JSON object (for an autograder).
"""
import argparse

from .walk import say
from .common import add_graph_arguments, export_command, load_graph, user_file_text, whole_number
from ..engine.checksettings import EPS_RANGE, setting_problem
from ..engine.errors import GraphscopeError
from ..engine.gradcheck_json import EXIT_STATUSES
from ..engine.graphcheck import NOT_JUDGED_STATUS as NOT_JUDGED  # exit status: nothing failed, not all judged
from ..engine.words import plural

DESCRIPTION = __doc__.split("\n\n", 1)[1]

EXAMPLES = """examples:
  graphscope check samples/wrong_backward.py            names the node whose VJP is wrong (exit status 1)
  graphscope check samples/nan_origin.py                names the node that makes the first -inf
  graphscope check samples/two_layer.py --failures-only --coords 50
  graphscope check samples/two_layer.py --coords all    every entry of every input, none sampled
  graphscope check samples/deep_mlp.py --layers         with the layer statistics and their diagnosis
  graphscope check model.gsgraph --import my_ops.py     a saved graph whose custom ops my_ops.py defines
"""


def _check(args):
    from ..engine.graphcheck import check_graph, precision_text, value_dtypes
    if args.json:
        return _check_json(args)
    graph = load_graph(args, report=False)
    out = graph.output
    ops = len(graph.ops)
    shown = user_file_text(args.file)
    say(f"graphscope check {shown}: {plural(len(graph), 'node')} ({plural(ops, 'op')}), output {out.name} "
          f"{out.shape}, {value_dtypes(graph)}")
    for text in args.load_warnings:  # a saved graph whose values its ops do not give: the check fails
        say(f"\nFAIL: {text}")
    result = check_graph(graph, max_coords=args.coords, eps=args.eps, rtol=args.rtol, seed=args.seed,
                         whole=not args.nodes_only)

    origin = result.origin
    if origin is not None:
        say("\n" + result.origin_text())
        say(f"  to look at it: {export_command(args.file, args.imports, graph, origin.node, origin.phase)}")

    coords = "every entry" if args.coords == EVERY_ENTRY else f"at most {args.coords} entries"
    say(f"\nper-node check: each node's VJP against finite differences of its own forward "
          f"({coords} per input, seed {args.seed}, rtol {args.rtol:g}; {precision_text(graph)})")
    report = result.nodes
    if args.failures_only:
        say(report.table(failures_only=True) if report.failures else "(no failing nodes)")
    else:
        say(report.table())
    say(("FAIL: " if not report.ok else "") + result.nodes_summary(named=", named above"))
    first = report.first_failure
    if first is not None:
        say(first_failure_hint(args, graph, first.node))

    if result.whole_leaves == 0:
        say("\nwhole-graph gradcheck: skipped (no leaf requires a gradient)")
    elif result.whole_leaves:
        say(f"\nwhole-graph gradcheck of {out.name} against its leaves:")
        if result.whole is not None:
            say(result.whole.table())
        say(("FAIL: " if result.whole_failed else "") + result.whole_summary())
    if args.layers:
        say("\n" + layers_text(graph))
    status = 1 if result.failed or args.load_warnings else NOT_JUDGED if result.unjudged else 0
    verdict = "FAILED (its saved values disagree with its ops, above)" if args.load_warnings and not result.failed \
        else result.verdict
    sampled = result.sampled_text() if status == 0 else ""
    note = f" ({sampled}; --coords all checks every entry)" if sampled else ""
    say(f"\n{verdict}{note}{f' (exit status {status})' if status == NOT_JUDGED else ''}: {shown}")
    return status


def _check_json(args):
    """--json: the same checks, one JSON object on stdout (graphscope.engine.gradcheck_json), the same exit status.

    stdout holds that object alone: what the user's file prints goes to stderr. A file that could not be checked
    (or that calls sys.exit) still gives one object, with exit status 2."""
    import sys
    from contextlib import redirect_stdout
    from ..engine.graphcheck import check_graph
    from ..engine.gradcheck_json import graph_check_data
    from ..userfile import UserFileError, exit_text, own_exit
    shown = user_file_text(args.file)
    stdout = sys.stdout
    try:
        with redirect_stdout(sys.stderr):
            try:
                graph = load_graph(args, report=False)
                result = check_graph(graph, max_coords=args.coords, eps=args.eps, rtol=args.rtol, seed=args.seed,
                                     whole=not args.nodes_only)
            except SystemExit as exc:  # the user's code exited (a custom op's VJP): an error, not its status
                if own_exit(exc):
                    raise
                raise UserFileError(exit_text(exc)) from None
    except GraphscopeError as exc:  # an autograder still gets one object: what could not be checked, exit status 2
        _print_json({"file": shown, "verdict": "error", "passed": False, "exit_status": 2,
                     "exit_statuses": EXIT_STATUSES, "error": str(exc)}, stdout)
        raise
    status = 1 if result.failed or args.load_warnings else NOT_JUDGED if result.unjudged else 0
    settings = {"coords": "all" if args.coords == EVERY_ENTRY else args.coords, "seed": args.seed, "eps": args.eps,
                "rtol": args.rtol, "nodes_only": args.nodes_only}
    data = graph_check_data(result, shown, status, settings)
    data["saved_values"] = list(args.load_warnings)  # a saved graph whose values its ops do not give: a failure
    if args.load_warnings:
        data["passed"], data["verdict"] = False, "FAILED (its saved values disagree with its ops)"
    _print_json(data, stdout)
    return status


def _print_json(data, file):
    import json
    print(json.dumps(data, indent=2, allow_nan=False), file=file)


def layers_text(graph):
    """The layer statistics table and diagnosis of the recorded pass (backward first, when it has not run)."""
    from ..train.monitor import layer_stats
    from .layerhealth import health_text
    if graph.output.grad is None:
        graph.backward()
    return health_text(layer_stats(graph), "of the recorded pass", show_table=True)


def first_failure_hint(args, graph, node):
    """'  to look at it: graphscope export ...': the picture of `node`'s backward step; when the backward pass
    stops earlier, at another node whose VJP fails, `node` has no backward step: its forward step, and that
    other node's backward step."""
    recording = stopped_recording(graph)
    if recording is None or not recording.unreached(recording.position[node]):
        return f"  to look at it: {export_command(args.file, args.imports, graph, node, 'backward', check=True)}"
    broken = recording.broken
    return (f"  to look at it: {export_command(args.file, args.imports, graph, node, 'forward')}\n"
            f"  (the backward pass stops before it, at {broken.name}, whose VJP fails: "
            f"{export_command(args.file, args.imports, graph, broken, 'backward')})")


def stopped_recording(graph):
    """The stepper's recording of `graph` when its backward pass stops at a failed VJP, else None; the graph's
    gradients are put back as they were."""
    from ..stepper import Stepper
    grads = [(n, n.grad) for n in graph.nodes]
    try:
        recording = Stepper(graph).recording
    finally:
        for n, g in grads:
            n.grad = g
    return recording if recording.broken is not None else None


#: --coords all: a sample size no input reaches, so every entry is checked.
EVERY_ENTRY = 1 << 62


def coords_setting(text):
    """--coords: a whole number of at least 1, or 'all' (EVERY_ENTRY)."""
    if text.strip().lower() == "all":
        return EVERY_ENTRY
    return whole_number(1, "the number of entries", "a whole number or 'all'")(text)


def check_setting(label, parse, what):
    """An argparse type for the check setting `label`: parsed by `parse`, refused (exit 2, one line) for any value
    the library's checks would refuse, in the same words."""
    def setting(text):
        try:
            value = parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        problem = setting_problem(label, value, shown=text)
        if problem:
            raise argparse.ArgumentTypeError(problem)
        return value
    return setting


def add_parser(sub):
    p = sub.add_parser("check", help="check every node's backward numerically and find where NaNs start",
                       description=DESCRIPTION, epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graph_arguments(p)
    low, high = EPS_RANGE
    p.add_argument("--coords", type=coords_setting, default=20, metavar="N",
                   help="entries sampled per input (default 20), or 'all' to check every entry")
    p.add_argument("--seed", type=check_setting("seed", int, "a whole number"), default=0,
                   help="seed of the sampling and the probes, 0 or more (default 0)")
    p.add_argument("--eps", type=check_setting("eps", float, "a number"), default=1e-6,
                   help=f"finite-difference step, scaled by max(1, |x|) per entry, from {low:g} to {high:g} "
                        f"(default 1e-6)")
    p.add_argument("--rtol", type=check_setting("rtol", float, "a number"), default=1e-5,
                   help="relative error that fails a node, from 0 to below 1 (default 1e-5)")
    p.add_argument("--failures-only", action="store_true", help="list only the failing nodes in the table")
    p.add_argument("--json", action="store_true",
                   help="print one JSON object instead of the text (file, dtype, verdict, exit status, per node and "
                        "per leaf the status and worst entries); the exit status is the same")
    p.add_argument("--nodes-only", action="store_true", help="skip the whole-graph gradcheck of the leaves")
    p.add_argument("--layers", action="store_true",
                   help="also print the layer statistics of the recorded pass (per scope: activation and gradient "
                        "mean and std, dead/saturated units) and their diagnosis (vanishing gradients, dead units, "
                        "symmetric weights)")
    p.set_defaults(run=run)


def run(args):
    return _check(args)
