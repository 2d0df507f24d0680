"""graphscope demo: the lecture's example, walked forward then backward, one node a step.

The graph is f(x, y, z) = (x + y) z with x = -2, y = 5, z = -4. The forward
pass computes every node's value from its inputs; the backward pass then
visits the nodes outputs-first and, at each, applies the local rule
"gradient = upstream x local": for every input, the contribution is the
upstream gradient times the local Jacobian, and the input's gradient is the
sum of the contributions it receives.
"""
import os

from .common import nonfinite_note

SAMPLES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "samples")
DEFAULT_SAMPLE = os.path.join(SAMPLES_DIR, "neuron.py")


def _output(path):
    """The output to walk and where it comes from: the file's build(), samples/neuron.py, or the built-in example."""
    from ..engine.source import display_path
    from ..userfile import build_output
    if path is None and os.path.exists(DEFAULT_SAMPLE):
        path = DEFAULT_SAMPLE
    if path is not None:
        return build_output(path), display_path(path)
    from ..examples import lecture_example
    return lecture_example(), "the lecture's example f = (x + y) * z (built in)"


def walk(out, origin, write):
    """Write the forward-then-backward walk of `out`'s graph, one step a paragraph."""
    from ..engine.inspect import summarize_value
    from ..stepper import Stepper, explain
    st = Stepper(out)
    graph = st.graph
    write(f"graphscope demo: {origin}")
    write(f"{len(graph)} nodes, output {out.name}; {st.n_forward} forward steps then {st.n_backward} backward steps\n")
    write("forward pass: each node's value from its inputs' values (inputs before outputs)")
    for ev in st.events[:st.n_forward]:
        write("\n".join(explain.lines(ev, out)))
    if st.backward_note:
        write(f"\n{st.backward_note}")
        return
    write(f"\nbackward pass: outputs before inputs; at each node, for each input,\n"
          f"  contribution = upstream x local  (upstream = d{out.name}/d(node), local = d(node)/d(input))\n"
          f"  and the input's gradient is the sum of the contributions it receives")
    for ev in st.events[st.n_forward:]:
        write("")
        write("\n".join(explain.lines(ev, out)))
    write(f"\ngradients of {out.name}:")
    for n in graph.leaves:
        if n.requires_grad:
            write(f"  {explain.d(out, n):>12} = {summarize_value(n.grad)}")
    note = nonfinite_note(graph, origin)
    if note:
        write(f"\n{note}")
    write("\nnext: graphscope export FILE -o steps.html (the step-player), --step K -o step.svg (one picture)")


def _demo(args):
    out, origin = _output(args.file)
    walk(out, origin, print)
    return 0


def add_parser(sub):
    p = sub.add_parser("demo", help="walk the lecture's example graph forward then backward, step by step",
                       description=__doc__.split("\n\n", 1)[1])
    p.add_argument("file", nargs="?",
                   help="a graph file defining build() (default: the lecture's example, samples/neuron.py)")
    p.set_defaults(run=run)


run = _demo
