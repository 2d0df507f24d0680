"""graphscope demo: the lecture's example graph, forward then backward, in the terminal."""
import os

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "samples")


def _demo(args):
    """Build the lecture's neuron, run backward, and show every node's local rule."""
    from ..engine import Graph, describe_jacobian
    from ..engine.inspect import summarize_value
    from ..userfile import build_output
    path = args.file or os.path.join(SAMPLES_DIR, "neuron.py")
    out = build_output(path)
    graph = Graph(out)
    print(f"graphscope demo: {path}\n")
    print("forward pass (inputs before outputs):")
    for n in graph:
        call = "leaf" if n.fn is None else f"{n.fn.name}({', '.join(i.name for i in n.inputs)})"
        print(f"  {n.name:>10} = {call:<24} -> {summarize_value(n.value)}")
    graph.backward()
    print("\nbackward pass (gradient = upstream x local):")
    for n in reversed(graph.nodes):
        if n.fn is None or n.grad is None:
            continue
        print(f"  at {n.name} (upstream dL/d{n.name} = {summarize_value(n.grad)})")
        for i, x in enumerate(n.inputs):
            if not x.requires_grad:
                continue
            jac = describe_jacobian(n, i)
            print(f"      d{n.name}/d{x.name}: {jac.describe()}")
        print()
    print("gradients of the leaves:")
    for n in graph.leaves:
        if n.requires_grad:
            print(f"  dL/d{n.name} = {summarize_value(n.grad)}")
    return 0


def add_parser(sub):
    demo = sub.add_parser("demo", help="step through the lecture's example graph in the terminal")
    demo.add_argument("file", nargs="?", help="a graph file defining build() (default: samples/neuron.py)")
    demo.set_defaults(run=run)


run = _demo
