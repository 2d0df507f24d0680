"""The walk as text: every forward step, then every backward step (then the optimizer's update), one step a
paragraph, and the commands to go on with. What `graphscope demo` prints, and `graphscope tui` when it has no
terminal to open the UI in."""
import os
import shlex
import sys

from .common import file_command, nonfinite_note, warn_broken_backward
from ..engine.words import plural
from ..engine.visible import visible

#: Where the closing hint suggests saving the built-in example (no file of it exists to export).
BUILT_IN_SAVE = "lecture.gsgraph"


class Shown:
    """The graph the demo walks and where it comes from: its file (None for the built-in example)."""

    def __init__(self, graph, file, imports=()):
        self.graph, self.file, self.imports = graph, file, list(imports)

    @property
    def provenance(self):
        from ..engine.source import display_path
        return "the lecture's example f = (x + y) * z (built in)" if self.file is None else display_path(self.file)

    def command(self, name, *options):
        """'graphscope NAME FILE --import ... OPTIONS': a command on the same file, as the user can type it."""
        return file_command(name, self.file, self.imports, *options)


def walk(graph, provenance, write, optimizer=None, command="demo"):
    """Write the forward-then-backward walk of `graph` (then the optimizer's update, given one), one step a
    paragraph; `provenance` says where the graph came from; return its Stepper."""
    from ..engine.formatting import summarize_value
    from ..stepper import Stepper, explain
    from ..stepper.state import NOT_REACHED, not_reached_text
    st = Stepper(graph, optimizer=optimizer, keep_gradients=True)  # the graph keeps the walk's gradients (--save)
    out = graph.output
    write(f"graphscope {command}: {provenance}")
    update = f" then {plural(st.n_update, 'update step')}" if st.n_update else ""
    broken = st.recording.broken
    stopped = f" (the last: {broken.name}, whose VJP fails)" if broken is not None else ""
    write(f"{plural(len(graph), 'node')}, output {out.name}; {plural(st.n_forward, 'forward step')} then "
          f"{plural(st.n_backward, 'backward step')}{stopped}{update}\n")
    write("forward pass: each node's value from its inputs' values (inputs before outputs)")
    for ev in st.events[:st.n_forward]:
        write("\n".join(explain.lines(ev, out)))
    if st.backward_note:
        write(f"\n{st.backward_note}")
        return st
    rule = "\n".join(f"  {line}" for line in explain.RULE_LINES)
    write(f"\nbackward pass: outputs before inputs; at each node, for each input (upstream = d{out.name}/d(node)),\n"
          f"{rule}\n"
          f"  and the input's gradient is the sum of the contributions it receives")
    for ev in st.events[st.n_forward:st.n_forward + st.n_backward]:
        write("")
        write("\n".join(explain.lines(ev, out)))
    final = st.final()
    write(f"\ngradients of {out.name}:")
    for n in graph.leaves:
        if n.requires_grad:
            grad = not_reached_text(final.stopped_at) if final.grad_status(n) == NOT_REACHED else \
                summarize_value(final.grad(n))
            write(f"  {explain.d(out, n):>12} = {grad}")
    if optimizer is not None:
        walk_update(st, optimizer, write)
    return st


def walk_update(st, optimizer, write):
    """Write the update phase: one optimizer step per parameter (or why there is none)."""
    from ..stepper import explain
    if st.update_note:
        write(f"\n{st.update_note}")
        return
    write(f"\nupdate: one step of {optimizer!r}; for each parameter the optimizer's state before -> after,\n"
          f"  the step it adds and the update/weight ratio ||step|| / ||weights|| (rule of thumb: about 1e-3);\n"
          f"  the parameters are then put back as they were")
    for ev in st.events[st.n_forward + st.n_backward:]:
        write("")
        write("\n".join(explain.lines(ev, st.graph.output)))


def first_local_rule(stepper):
    """The first backward step after the seed's where an op passes gradients on (a leaf's step only marks its
    gradient complete); the last step when there is none."""
    seed = stepper.n_forward
    for ev in stepper.events[seed + 1:seed + stepper.n_backward]:
        if ev.edges:
            return ev.step
    return min(seed + 1, len(stepper) - 1)


def next_steps(shown, stepper, saved=None):
    """The closing hint: the export commands for the file just shown (or for where the example can be saved)."""
    k = first_local_rule(stepper)
    what = f"step {k}"
    broken = stepper.recording.broken
    if broken is not None:  # the step to look at is the one whose VJP failed
        k, what = stepper.recording.error_step, f"step {stepper.recording.error_step}, where {broken.name}'s VJP failed"
    first = []
    if saved is not None:  # the file just saved: the commands open it (with the file defining its custom ops)
        custom = shown.file is not None and shown.file.endswith(".py") and any(
            n.op_def is not None and n.op_def.handle is not None for n in shown.graph.nodes)
        shown = Shown(shown.graph, saved, shown.imports + ([shown.file.partition(":")[0]] if custom else []))
        first = [f"  {shown.command('tui')}   (the saved graph in the terminal UI)"]
    elif shown.file is None:  # the built-in example has no file: export it once saved
        writable = os.access(os.getcwd(), os.W_OK)
        target = BUILT_IN_SAVE if writable else os.path.join(os.path.expanduser("~"), BUILT_IN_SAVE)
        first = [f"  graphscope demo --save {shlex.quote(target)}   (writes this example to {target})"]
        shown = Shown(shown.graph, target)
    return "\n".join(["next:"] + first + [
        f"  {shown.command('export', '-o', 'steps.html')}   (the step-player)",
        f"  {shown.command('export', '--step', str(k), '-o', f'step{k}.svg')}   (one picture: {what})"])


#: Why the TUI does not open when standard input or output is not a terminal.
NOT_A_TERMINAL = "not a terminal (input or output is piped or redirected)"


def no_tui_reason():
    """Why the terminal UI cannot run here, or None when it can: standard input and output must be a terminal (not
    piped, redirected or run by CI), one that shows its glyphs and escape codes (UTF-8, TERM not dumb), unless
    Textual was given a driver that needs none (textual-serve's). Else demo and tui print the walk as text."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return None
    if not (sys.stdout.isatty() and sys.stdin.isatty()):
        return NOT_A_TERMINAL
    from ..util.terminal import no_fullscreen_reason
    return no_fullscreen_reason(sys.stdout)


def in_terminal():
    """True when the terminal UI can run here (no_tui_reason)."""
    return no_tui_reason() is None


def say_why_text(command):
    """In a terminal the TUI cannot draw on (TERM=dumb, not UTF-8), one line on standard error saying why and that
    the walk is shown instead; nothing when the output is simply piped."""
    reason = no_tui_reason()
    if reason not in (None, NOT_A_TERMINAL):
        print(f"graphscope {command}: {reason}; showing the text walk instead", file=sys.stderr, flush=True)


def print_walk(shown, optimizer=None, save=None, command="demo", save_options=None):
    """Print the walk as text, the note on NaNs, the saved file (given `save`, written with the walk's gradients;
    `save_options` go to ``save_graph``: gradients, sources) and the next commands; exit 0. With `save`, the walked
    graph is saved before any of the walk is printed."""
    from ..interop import save_graph
    lines = []
    st = walk(shown.graph, shown.provenance, say if save is None else lines.append, optimizer, command)
    options = save_options or {}
    if save is not None:
        save_graph(shown.graph, os.path.expanduser(save), **options)
        say("\n".join(lines))
    warn_broken_backward(command, st, shown.file, shown.imports)
    note = None if shown.file is None else nonfinite_note(shown.graph, shown.file, shown.imports)
    if note:
        say(f"\n{note}")
    if save is not None:
        left_out = [what for what in ("gradients", "sources") if not options.get(what, True)]
        say(f"\nsaved the graph to {save}" + (f" (without {' and '.join(left_out)})" if left_out else ""))
    say("\n" + next_steps(shown, st, save))
    return 0


def say(text=""):
    """Print `text` with the control characters of names written out (``\\x1b``): shown, not obeyed."""
    print(visible(text, keep="\n"))
