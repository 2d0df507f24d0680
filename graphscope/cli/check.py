"""graphscope check FILE: which node's backward is wrong, which node made a NaN.

Runs, on the graph a sample's build() returns (or a saved graph file):

1. the NaN/Inf origin search (the node that first made a non-finite value or
   gradient);
2. the per-node check: every op node's VJP against finite differences of its
   own forward, one table row a node, in topological order;
3. the whole-graph gradcheck of the leaves that require a gradient.

Exit status 0 when everything passed, 1 when a node failed or a NaN was
found, 2 when the file could not be checked.
"""
import os

from .common import add_graph_arguments, export_command, load_graph, positive_number, whole_number
from ..engine.words import plural

DESCRIPTION = __doc__.split("\n\n", 1)[1]


def _check(args):
    from ..engine.graphcheck import check_graph
    graph = load_graph(args)
    out = graph.output
    ops = len(graph.ops)
    print(f"graphscope check {args.file}: {plural(len(graph), 'node')} ({plural(ops, 'op')}), output {out.name} {out.shape}")
    result = check_graph(graph, max_coords=args.coords, eps=args.eps, rtol=args.rtol, seed=args.seed,
                         whole=not args.nodes_only)

    origin = result.origin
    if origin is not None:
        print("\n" + result.origin_text())
        print(f"  to look at it: {export_command(args.file, args.imports, graph, origin.node, origin.phase)}")

    print(f"\nper-node check: each node's VJP against finite differences of its own forward "
          f"(at most {args.coords} entries per input, seed {args.seed}, rtol {args.rtol:g})")
    report = result.nodes
    if args.failures_only:
        print(report.table(failures_only=True) if report.failures else "(no failing nodes)")
    else:
        print(report.table())
    print(("FAIL: " if not report.ok else "") + result.nodes_summary(named=", named above"))
    first = report.first_failure
    if first is not None:
        print(f"  to look at it: {export_command(args.file, args.imports, graph, first.node, 'backward')}")

    if result.whole_leaves == 0:
        print("\nwhole-graph gradcheck: skipped (no leaf requires a gradient)")
    elif result.whole_leaves:
        print(f"\nwhole-graph gradcheck of {out.name} against its leaves:")
        if result.whole is not None:
            print(result.whole.table())
        print(("FAIL: " if result.whole_failed else "") + result.whole_summary())
    print(f"\n{result.verdict}: {os.path.basename(args.file)}")
    return 1 if result.failed else 0


def add_parser(sub):
    p = sub.add_parser("check", help="check every node's backward numerically and find where NaNs start",
                       description=DESCRIPTION)
    add_graph_arguments(p)
    p.add_argument("--coords", type=whole_number(1, "the number of entries"), default=20, metavar="N",
                   help="entries sampled per input (default 20)")
    p.add_argument("--seed", type=int, default=0, help="seed of the sampling and the probes (default 0)")
    p.add_argument("--eps", type=positive_number, default=1e-6,
                   help="finite-difference step, scaled by max(1, |x|) per entry (default 1e-6)")
    p.add_argument("--rtol", type=positive_number, default=1e-5, help="relative error that fails a node (default 1e-5)")
    p.add_argument("--failures-only", action="store_true", help="list only the failing nodes in the table")
    p.add_argument("--nodes-only", action="store_true", help="skip the whole-graph gradcheck of the leaves")
    p.set_defaults(run=run)


def run(args):
    return _check(args)
