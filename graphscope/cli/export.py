"""graphscope export FILE -o OUT: a picture of the graph at any step, frames of every step, the HTML player, or ONNX.

The output format follows the extension of OUT:

  .dot   Graphviz source (needs no Graphviz installed)
  .svg   .png   .pdf   a picture (needs Graphviz's `dot`)
  .html  the self-contained step-player: every step's picture, prev / next / play,
         a slider, arrow keys, and the numbers of each step beside it
  .onnx  the model for ONNX tools (Netron, onnxruntime): the leaves that are not
         parameters are its inputs, by name; parameters are initializers; batch norm
         and dropout in test mode (running averages, no dropout); --dynamic-batch
         leaves the batch size free
  .gsgraph  a graph file (graph.save): for check, tui, demo and export

A training file's build() makes the model with its initial weights; --checkpoint
DIR exports the trained one instead: the parameters, running averages and dropout
state of the checkpoint `graphscope train FILE --checkpoint DIR` wrote (no
optimizer needed), with batch norm and dropout in eval mode, as for predictions.

Without --step or --node the picture shows the end of the walk: every value
and every gradient. Steps are numbered from 0: first one forward step per
node (inputs before outputs), then one backward step per node that gets a
gradient (outputs before inputs), then with --optimizer one update step per
parameter (the optimizer's step, its state and the update/weight ratio);
negative steps count from the end.
"""
import argparse
import os
import sys
import warnings
from contextlib import ExitStack, contextmanager

from ..engine.words import did_you_mean, plural
from ..engine.visible import visible
from .common import (add_graph_arguments, add_optimizer_arguments, export_command, file_command, load_graph,
                     make_optimizer, nonfinite_note, output_file_problem, output_folder_problem, user_file_text,
                     warn_broken_backward, whole_number)

#: The extensions that write an ONNX model or a graph file rather than a picture.
ONNX, GSGRAPH = ".onnx", ".gsgraph"

EXAMPLES = """examples:
  graphscope export samples/chain_rule.py -o chain_rule.svg     every value and gradient
  graphscope export samples/chain_rule.py -o step6.png --step 6  the 7th step
  graphscope export samples/two_layer.py -o h.svg --node h --phase backward
  graphscope export samples/two_layer.py -o h.svg --node h --around 1    h and its neighbours only
  graphscope export samples/deep_mlp.py -o deep.pdf --depth 0     every module as one box
  graphscope export samples/deep_mlp.py -o w3.svg --node block3/W --around 1   one of ten nodes named W
  graphscope export samples/two_layer.py -o steps.html            the step-player
  graphscope export samples/dropout.py -o dropout.png --fit 1920x1080   a full-HD slide, text as large as fits
  graphscope export samples/two_layer.py --frames frames/         one SVG per step
  graphscope export samples/two_layer.py --optimizer adam --node W2 --phase update -o w2.svg
  graphscope export samples/two_layer.py -o two_layer.onnx        the model, for onnxruntime or Netron
  graphscope export samples/batchnorm.py -o bn.onnx --dynamic-batch   any batch size (labels: an input)
  graphscope export samples/train_spiral.py --checkpoint ck/ -o spiral.onnx   the trained model, to ship
  graphscope export samples/train_spiral.py --checkpoint ck/ -o spiral.gsgraph  the trained graph, as a file
  graphscope export samples/wrong_backward.py --check --node swish_21 --phase backward --around 2 -o bad.svg
                                                                  the VJP that fails its check, marked
"""


def _export(args):
    from ..engine.errors import GraphscopeError
    from ..stepper import Stepper
    from ..viz import FINAL, Picture, export, write_frames
    from ..viz.export import format_of
    from ..viz.limits import drawn_pixels, picture_problem, screens_note, slow_note
    from ..viz.step_texts import update_verdict
    if not args.output and not args.frames:
        raise GraphscopeError("nothing to write: give -o OUT (.dot .svg .png .pdf .html .onnx .gsgraph) and/or "
                              "--frames DIR")
    if args.phase and args.node is None:
        raise GraphscopeError("--phase goes with --node NAME (the step where that node is visited)")
    if args.around is not None and args.node is None:
        raise GraphscopeError("--around goes with --node NAME (the node whose neighbourhood is drawn)")
    if args.output and os.path.isdir(args.output):
        raise GraphscopeError(f"-o {args.output}: is a folder; give a file name whose extension picks the format, "
                              f"e.g. -o {os.path.join(args.output, 'graph.svg')}")
    from .outputs import DRAWING, GRAPH
    ending = os.path.splitext(args.output)[1].lower() if args.output else None
    kind = GRAPH if ending == GSGRAPH else DRAWING
    problem = (args.output and output_file_problem("-o", args.output, kind, [args.file] + args.imports)) or \
        (args.frames and output_folder_problem("--frames", args.frames))
    if problem:
        raise GraphscopeError(problem)
    if args.dynamic_batch and ending != ONNX:
        raise GraphscopeError(f"--dynamic-batch goes with an ONNX model (-o MODEL.onnx)"
                              f"{'' if not args.output else f', not -o {args.output}'}")
    if ending in (ONNX, GSGRAPH):
        return _export_model(args)
    fmt = format_of(args.output, extra=(ONNX, GSGRAPH)) if args.output else None  # an unknown one fails before work
    graph = model_graph(args)
    stepper = Stepper(graph, optimizer=make_optimizer(graph, args), keep_gradients=True)  # for the NaN note
    warn_broken_backward("export", stepper, args.file, args.imports)
    if stepper.update_note and stepper.recording.broken is None:  # (the warning above says why there is none)
        print(f"note: {stepper.update_note}", file=sys.stderr)
    node = None if args.node is None else node_key(graph, args.node)
    picture = Picture(stepper, depth=args.depth, collapse=args.collapse or (), fold=args.fold,
                      caption=not args.no_caption, rankdir=args.rankdir, around=args.around, focus=node,
                      mark=check_mark(graph, stepper) if args.check else None, fit=args.fit)
    if picture.note:
        print(f"note: {picture.note}", file=sys.stderr)
    nan_note = nonfinite_note(graph, args.file, args.imports)
    if nan_note:
        print(nan_note, file=sys.stderr)
    lighter = Lighter(args, graph, picture.view)
    if args.output and fmt in ("svg", "png", "pdf") and slow_note(picture.view) and not picture_problem(picture.view):
        print(f"note: {slow_note(picture.view, lighter())}", file=sys.stderr)
    if args.output:
        step = args.step if (args.step is not None or node is not None or fmt == "html") else FINAL
        with too_big_explained(args, graph, f"-o {args.output}"), progress_bar(f"drawing {args.output}") as shown:
            export(picture, args.output, step=step, node=node, phase=args.phase or "forward", title=args.title,
                   progress=shown)
        if fmt == "html":
            what = f"step-player, {plural(len(stepper), 'step')}"
        else:
            state = picture.state(step, node, args.phase or "forward")
            verdict = update_verdict(state)
            what = state.caption() + (f" ({verdict})" if verdict else "")
        print(visible(f"wrote {args.output} ({what})"))
        if fmt in ("svg", "png") and args.fit is None:
            with open(args.output, "rb") as f:
                big = screens_note(drawn_pixels(f.read(1 << 16), fmt), lighter)
            if big:
                print(visible(f"note: {args.output}: {big}"), file=sys.stderr)
    if args.frames:
        with too_big_explained(args, graph, f"--frames {args.frames}"), progress_bar("drawing frames") as shown:
            paths = write_frames(picture, args.frames, progress=shown)
        print(f"wrote {plural(len(paths), 'frame')} to {os.path.join(args.frames, '')} "
              f"({os.path.basename(paths[0])} .. {os.path.basename(paths[-1])})")
    return _done(args)


def check_mark(graph, stepper):
    """--check: the mark of the first op node whose VJP fails the per-node check (as graphscope check finds it),
    or None, saying on standard error which node is marked, or that every VJP passed."""
    import numpy as np

    from ..engine.gradcheck import check_nodes
    from ..viz.origin import CheckMark
    if stepper.recording.broken is not None:  # its VJP failed outright: already marked as the backward pass's end
        return None
    with np.errstate(all="ignore"):
        failure = check_nodes(graph).first_failure
    if failure is None:
        print("note: --check: every op node's VJP passed its check; nothing is marked", file=sys.stderr)
        return None
    print(f"note: --check: {failure.node.name} ({failure.node.op}) is marked: its VJP fails its check", file=sys.stderr)
    return CheckMark(failure)


@contextmanager
def too_big_explained(args, graph, option):
    """A picture or player too large for Graphviz (refused before drawing), or a crash of dot: one message with
    its size and the commands that draw less (GraphscopeError: exit 2)."""
    from ..engine.errors import GraphscopeError
    from ..viz.limits import TooBig
    from ..viz.render import DotCrashed
    try:
        yield
    except (TooBig, DotCrashed) as exc:
        headline = getattr(exc, "headline", str(exc))
        raise GraphscopeError(f"{option}: {headline}.\n{smaller_drawings(args, graph)}") from None


class Lighter:
    """The options that draw the picture in fewer boxes (viz.limits.lighter_drawings), found when first asked."""

    def __init__(self, args, graph, view):
        self.args, self.graph, self.view, self.found = args, graph, view, None

    def __call__(self):
        if self.found is None:
            from ..viz.limits import lighter_drawings
            a = self.args
            self.found = lighter_drawings(self.graph, a.depth, a.collapse or (), a.fold, len(self.view.items))
        return self.found


def smaller_drawings(args, graph):
    """What to type instead of drawing everything: a node's neighbourhood, the options that draw fewer boxes (the
    default folding, modules as boxes), for a step-player or frames the finished graph in one picture, the terminal
    UI, the DOT text."""
    from ..engine.source import display_path
    from ..viz.calls import calls_view
    from ..viz.limits import lighter_drawings, picture_problem
    out = graph.output
    lines = [(f"one step: {out.name} and its neighbours within 2 edges (any --node NAME --around K)",
              export_command(args.file, args.imports, graph, out, "backward" if out.requires_grad else "forward"))]
    view = calls_view(graph, depth=args.depth, collapse=args.collapse or (), fold=args.fold)
    for options, boxes in lighter_drawings(graph, args.depth, args.collapse or (), args.fold, len(view.items)):
        lines.append((f"{' '.join(options)}: {plural(boxes, 'box', 'boxes')}",
                      file_command("export", args.file, args.imports, *options, "-o", args.output or "graph.svg")))
    steps = args.frames or (args.output or "").lower().endswith(".html")
    if steps and not picture_problem(view):
        svg = os.path.splitext(display_path(args.output or "graph"))[0] + ".svg"
        boxes = plural(len(view.items), 'box', 'boxes')
        lines.append((f"the finished graph in one picture, every value and gradient ({boxes})",
                      file_command("export", args.file, args.imports, *_view_options(args), "-o", svg)))
    lines.append(("every step, in the terminal", file_command("tui", args.file, args.imports)))
    dot = os.path.splitext(display_path(args.output or "graph"))[0] + ".dot"
    lines.append(("the whole graph as DOT text, which needs no Graphviz",
                  file_command("export", args.file, args.imports, "-o", dot)))
    return "draw less instead:" + "".join(f"\n  {what}:\n    {command}" for what, command in lines)


def _view_options(args):
    """The options given that choose what a picture draws (--depth, --collapse, --fold), to pass on."""
    options = [] if args.depth is None else ["--depth", str(args.depth)]
    for scope in args.collapse or ():
        options += ["--collapse", scope]
    return options + ([] if args.fold == 3 else ["--no-fold"] if not args.fold else ["--fold", str(args.fold)])


@contextmanager
def progress_bar(description):
    """Yields progress(done, total) for many pictures being drawn: a progress bar on standard error, opened at the
    first call (None when standard error is not a terminal)."""
    from ..train.progress import Bar, wanted
    if not wanted(None):
        yield None
        return
    with ExitStack() as stack:
        shown = {}

        def progress(done, total):
            if not shown:
                shown["bar"] = stack.enter_context(Bar(total, description, True))
                shown["done"] = 0
            shown["bar"].advance(steps=done - shown["done"])
            shown["done"] = done
        yield progress


def model_graph(args):
    """The graph of args.file; with --checkpoint DIR, holding the trained weights of DIR's checkpoint and replayed
    in eval mode (said in a note). A training file's graph without it gets a note: its weights are the initial
    ones."""
    graph = load_graph(args)
    if not args.checkpoint:
        from ..userfile import training_file
        training = training_file(args.file)  # said last, after the notes on what the file holds
        if training is not False:
            shown = user_file_text(args.file)
            args.last_note = ((f"note: {shown} is a training file: this is its model" if training else
                               f"note: {shown} defines data(); if it is a training file (`graphscope train {shown}` "
                               f"trains it), this is its model")
                              + " with the initial weights build() makes; for the trained one, train it with "
                                "--checkpoint DIR and export with --checkpoint DIR")
        return graph
    from ..nn import set_training
    from ..train.checkpoint import load_weights
    from .train import same_file
    meta = load_weights(graph, args.checkpoint)
    modal = set_training(graph, False)
    graph.run()  # every value from the trained weights, in eval mode
    print(f"note: the weights of {args.checkpoint} (after epoch {meta['epoch']})"
          + (f"; batch norm and dropout in eval mode, as for predictions (running averages, no dropout: "
             f"{plural(modal, 'node')})" if modal else ""), file=sys.stderr)
    trained = meta.get("file")
    if isinstance(trained, str) and not same_file(trained, args.file):
        print(visible(f"note: {args.checkpoint} holds a run of {trained}, not of {args.file}; its weights fit "
                      f"{args.file}'s model (the same parameter names and shapes), so they were put into it"),
              file=sys.stderr)
    return graph


def predictions(graph):
    """The trained model to ship: the graph ending at its class scores (the node the trainer reads: named 'scores',
    else the loss's input), said in a note; the whole graph when it has none."""
    from ..engine.errors import GraphscopeError
    from ..engine.graph import Graph
    from ..train.feeds import GraphRoles
    try:
        scores = GraphRoles(graph).scores
    except GraphscopeError:
        scores = None
    if scores is None or scores is graph.output:
        return graph
    print(f"note: the model ends at {scores.name}, the class scores, as for predictions; the graph's output "
          f"{graph.output.name} (the loss) needs labels: -o FILE.gsgraph keeps it", file=sys.stderr)
    return Graph(scores)


def _export_model(args):
    """-o MODEL.onnx or -o GRAPH.gsgraph: the whole model (pictures' step options do not apply), and --frames
    beside it."""
    from ..engine.errors import GraphscopeError
    from ..interop.onnx import (OnnxExportWarning, export_problem, file_test_mode_note, fixed_batch_note, to_model,
                                write_model)
    steps = [opt for opt, given in (("--step", args.step is not None), ("--node", args.node is not None)) if given]
    verb = "pick" if len(steps) > 1 else "picks"
    if steps:
        raise GraphscopeError(f"{' and '.join(steps)} {verb} a step of a picture; -o {args.output} writes the whole "
                              f"model: leave {'them' if len(steps) > 1 else 'it'} out")
    drawn = picture_options(args, with_frames=bool(args.frames))
    if drawn:
        them = "them" if len(drawn) > 1 else "it"
        raise GraphscopeError(f"{' and '.join(drawn)} {'shape' if len(drawn) > 1 else 'shapes'} a picture; -o "
                              f"{args.output} writes the model, which is not drawn: leave {them} out"
                              + ("" if args.frames else " (or add --frames DIR, the pictures beside the model)"
                                 if set(drawn) <= set(FRAME_OPTIONS) else ""))
    graph = model_graph(args)
    if os.path.splitext(args.output)[1].lower() == GSGRAPH:
        graph.save(args.output)
        print(visible(f"wrote {args.output} (graph file, {plural(len(graph), 'node')}, output {graph.output.name})"))
        return _frames_beside(args, graph)
    if args.checkpoint:
        graph = predictions(graph)
    problem = export_problem(graph)
    if problem:
        raise GraphscopeError(f"{args.file}: {problem}")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OnnxExportWarning)   # said below as a note, once
        try:
            model = to_model(graph, dynamic_batch=args.dynamic_batch)
        except GraphscopeError as exc:  # every ONNX refusal names the file, as export_problem's does
            raise GraphscopeError(f"{args.file}: {exc}") from None
    write_model(model, args.output)
    inputs = [f"{i.name} {_shape_text(i)}" for i in model.graph.input]
    print(visible(f"wrote {args.output} (ONNX, {plural(len(graph.ops), 'op')}; inputs: {', '.join(inputs) or 'none'}; "
                  f"outputs: {', '.join(o.name for o in graph.outputs)})"))
    for note in (file_test_mode_note(graph, args.output, args.file),
                 fixed_batch_note(graph, args.dynamic_batch, option="--dynamic-batch",
                                  held=f"the batch {args.file} builds")):
        if note:
            print(f"note: {note}", file=sys.stderr)
    return _frames_beside(args, graph)


def _frames_beside(args, graph):
    """--frames DIR beside a model or graph file: one SVG per step."""
    if args.frames:
        from ..viz import Picture, write_frames
        paths = write_frames(Picture(graph, depth=args.depth, collapse=args.collapse or (), fold=args.fold,
                                     fit=args.fit), args.frames)
        print(f"wrote {plural(len(paths), 'frame')} to {os.path.join(args.frames, '')}")
    return _done(args)


def _done(args):
    """Exit status 0, after the note model_graph left to be said last."""
    if getattr(args, "last_note", None):
        print(args.last_note, file=sys.stderr)
    return 0


#: Picture options that --frames (drawn beside an ONNX model) uses, by attribute; and those no ONNX export uses.
FRAME_OPTIONS = {"--fit": "fit", "--depth": "depth", "--collapse": "collapse"}
NEVER_ONNX = {"--rankdir": "rankdir", "--title": "title", "--no-caption": "no_caption", "--check": "check"}


def picture_options(args, with_frames):
    """The picture options given that an ONNX export would ignore (those --frames uses are fine with it)."""
    options = dict(NEVER_ONNX, **({} if with_frames else FRAME_OPTIONS))
    return [option for option, attr in options.items() if getattr(args, attr, None)]


def _shape_text(value_info):
    """'(batch, 4)' for an ONNX input of shape [batch, 4]."""
    dims = [d.dim_param or str(d.dim_value) for d in value_info.type.tensor_type.shape.dim]
    return f"({', '.join(dims)}{',' if len(dims) == 1 else ''})"


def node_key(graph, text):
    """--node's node id: by name, scope path ('block3/W') or id ('12', or '%12' as print(graph) shows it).

    An unknown name fails here with the closest names ("did you mean"); a shared one with the paths that tell
    the nodes apart.
    """
    from ..engine.errors import GraphscopeError
    key = int(text) if text.isdigit() and not any(n.name == text for n in graph.nodes) else text
    try:
        return graph.node(key).id
    except KeyError as exc:
        raise GraphscopeError(f"--node {text}: {exc}") from None


def limits_text():
    """The paragraph of --help on what Graphviz cannot draw (from viz.limits' figures)."""
    import textwrap

    from ..viz import limits
    return textwrap.fill(
        f"Graphviz cannot draw everything: a picture of more than {limits.PICTURE_MAX_ITEMS:,} boxes or "
        f"{limits.PICTURE_MAX_EDGES:,} edges, or a step-player (or --frames) of more than "
        f"{limits.PLAYER_MAX_STEPS:,} steps or {limits.PLAYER_MAX_BOXES:,} boxes over all its pictures, is refused "
        f"before dot runs, with the commands that draw less (--node NAME --around K, --depth N, -o FILE.dot).",
        78, break_on_hyphens=False)


def fit_size(text):
    """--fit's (width, height) in pixels, or argparse's message naming what is wrong."""
    from ..engine.errors import GraphscopeError
    from ..viz.picture import parse_fit
    try:
        return parse_fit(text)
    except GraphscopeError as exc:
        raise argparse.ArgumentTypeError(str(exc).replace("fit ", "", 1)) from None


def add_parser(sub):
    p = sub.add_parser("export", help="draw the graph at any step (SVG, PNG, PDF, DOT) or write the HTML step-player",
                       description=__doc__.split("\n\n", 1)[1] + "\n" + limits_text(), epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    add_graph_arguments(p)
    p.add_argument("-o", "--output", metavar="OUT", help="the file to write; its extension picks the format")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--step", type=int, metavar="K",
                       help="draw step K (0-based; -1 is the last); with .html: the step the player opens at")
    where.add_argument("--node", metavar="NAME", help="draw the step where node NAME is visited: a name, a scope "
                                                      "path for a name several nodes share (block3/W), or an id "
                                                      "as print(graph) shows it (12 or %%12)")
    p.add_argument("--around", type=whole_number(0, "--around", "a whole number of edges"), metavar="K",
                   help="with --node: draw only that node and the nodes within K edges of it, with stubs where "
                        "the rest of the graph attaches")
    p.add_argument("--phase", choices=("forward", "backward", "update"),
                   help="with --node: the forward step (its value is computed; default), the backward step "
                        "(the local rule runs at it) or, with --optimizer, the update step of a parameter")
    p.add_argument("--depth", type=whole_number(0, "depth", "a whole number of scope levels"), metavar="N",
                   help="draw scopes nested deeper than N levels as single boxes with their in/out shapes "
                        "(0: every top-level module is one box)")
    p.add_argument("--collapse", action="append", metavar="SCOPE",
                   help="draw module SCOPE as one box (repeat for several); a full path 'net/fc1' or its last part")
    fold = p.add_mutually_exclusive_group()
    fold.add_argument("--fold", type=whole_number(0, "the fold length"), default=3, metavar="N",
                      help="fold runs of at least N identical consecutive blocks into one 'Linear+ReLU x 8' box; a block "
                           "is a scope or a group of up to 4 sibling scopes (fc, bn, relu) (default 3)")
    fold.add_argument("--no-fold", dest="fold", action="store_const", const=0, help="never fold repeated blocks")
    p.add_argument("--rankdir", choices=("LR", "TB"),
                   help="left-to-right or top-to-bottom (default: whichever shows the text larger on a 16:9 "
                        "slide); either way a long flow may fold into rows (columns)")
    p.add_argument("--dynamic-batch", action="store_true",
                   help="with -o MODEL.onnx: leave the batch size free (the inputs' first axis is 'batch'; a "
                        "loss's labels become an input named labels); without it the model takes exactly the batch size the file "
                        "builds")
    p.add_argument("--fit", type=fit_size, metavar="WxH",
                   help="for a slide or a projector: lay the picture out for that shape (rather than 16:9) and "
                        "draw it on a canvas of exactly WxH pixels, scaled to just fit and centred on the white "
                        "background, its text as large as that allows (e.g. 1920x1080). A PNG is WxH pixels; an "
                        "SVG or a PDF page is WxH CSS pixels, 96 an inch (1920x1080: 1440x810pt); a .dot file "
                        "says the scale only (the canvas takes the drawing's shape); with .html, the layout only "
                        "(the player fits each picture to its pane)")
    p.add_argument("--frames", metavar="DIR",
                   help="also write one SVG per step into DIR, named in step order (step_000_forward_x.svg, ...)")
    p.add_argument("--checkpoint", metavar="DIR",
                   help="the trained model: load the parameters and the batch-norm and dropout state (running "
                        "averages) of the checkpoint in DIR (graphscope train FILE --checkpoint DIR) into FILE's "
                        "graph, and replay it in eval mode; no optimizer is needed")
    add_optimizer_arguments(p)
    p.add_argument("--title", help="a heading above the picture, or the HTML player's title (default: none for "
                                   "pictures; the player's is 'OUTPUT: forward then backward', OUTPUT the graph's "
                                   "output node)")
    p.add_argument("--no-caption", action="store_true", help="leave out the title line and colour legend")
    p.add_argument("--check", action="store_true",
                   help="check every op node's VJP against finite differences (as graphscope check does) and mark "
                        "the first that fails, with its worst relative error, from its backward step on")
    p.set_defaults(run=run)


run = _export
