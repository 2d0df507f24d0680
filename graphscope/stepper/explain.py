"""Words and numbers for a step: shared by the demo, the HTML player's side panel and the notebook.

``details(event, output)`` gives a plain dict (JSON-ready), each value in
one line; ``lines(...)`` the same as indented text lines, where a listed
matrix stands one row a line.
"""
import numpy as np

from ..engine.formatting import shape_text
from ..engine.source import display_location, shared_location
from ..engine.update_ratio import UNJUDGED, UPDATE_RATIO_TARGET_TEXT, first_adaptive_step, judge, measure_step
from .events import BACKWARD, FORWARD, UPDATE, _Step
from .notation import call_words, value_line, value_lines, written_out
from .state import ratio_text

#: What a picture's caption writes for a matrix of several rows, which the cards and edges list by rows.
LISTED_ON_PICTURE = "listed on the picture"
#: The local rule, one notation in every view: for one-number gradients the lecture's product, for arrays the
#: vector-Jacobian product, its shapes said (the local Jacobian's rows are the node's entries and its columns the
#: input's, each listed row-major, numpy's order).
SCALAR_RULE = "contribution = upstream × local"
ARRAY_RULE = "contribution = local^T · upstream"
FLATTENED = "upstream's entries as a column, row-major; the result in the input's shape"
#: The rule as the walk's header states it.
RULE_LINES = (f"{ARRAY_RULE}   (for single numbers: {SCALAR_RULE})",
              "local = d(node)/d(input): a row per entry of the node, a column per entry of the input (row-major);",
              f"{FLATTENED}")
#: How a forward step names a leaf's value: inputs and parameters are fed; a constant is fixed in the graph.
LEAF_WORDS = {"input": "input, fed", "param": "param, fed", "const": "constant, fixed when recorded"}


def call(node):
    """'q = add(x, y)' for an op node, 'x (input)' for a leaf."""
    if node.op_def is None:
        return f"{node.name} ({node.role})"
    return call_words(node)


def d(out, node):
    """'df/dq': the derivative of the output with respect to a node, in the lecture's notation."""
    return f"d{out.name}/d{node.name}"


def matrix_text(m):
    """'-4' for a 1x1 matrix (a local gradient that is one number), '[[1, 0], [0, 1]]' otherwise: its entries as
    any view writes an array's."""
    m = np.asarray(m, dtype=np.float64)
    return value_line(m.reshape(()) if m.size == 1 else m)


def title(event, output):
    """One line naming the step."""
    before, value, after = _title_parts(event, output)
    return before + value_line(value) + after


def heading(event, output):
    """The title without its value, for a view that shows the value just under it ('forward: q = add(x, y)',
    'backward: at q = add(x, y), upstream dL/dq')."""
    before, _, after = _title_parts(event, output)
    return before.rstrip(" =") + after


def _title_parts(event, output):
    """(the words before the value, the value, the words after it) of the step's title."""
    node = event.node
    if event.phase == UPDATE:
        return (f"update: {node.name} += step = ", event.delta,
                f" ({event.optimizer}; update/weight {ratio_text(event.ratio)})")
    if event.phase == FORWARD:
        if node.op_def is None:
            return f"forward: {node.name} = ", event.value, f" ({LEAF_WORDS.get(node.role, node.role)})"
        return f"forward: {call(node)} = ", event.value, ""
    if node.op_def is None:
        return f"backward: {d(output, node)} = ", event.upstream, " (leaf: gradient complete)"
    if event.error is not None:
        return f"backward: at {call(node)}, upstream {d(output, node)} = ", event.upstream, \
            " -- its VJP failed"
    return f"backward: at {call(node)}, upstream {d(output, node)} = ", event.upstream, \
        " (the seed)" if event.is_seed else ""


def failure(event, output, shared=False):
    """What the error step of a failed VJP says, as text fields: the engine's words ('sq2: the VJP returned a
    gradient of shape () for input a of shape (3,)'), the user's line ('at badvjp.py:16 in sq2_vjp ...'; with
    `shared` never an absolute path) and the nodes the pass never reached."""
    error, node = event.error, event.node
    info = {"error": error.summary}
    if error.location is not None:
        where = shared_location(error.location) if shared else display_location(error.location)
        info["error_at"] = f"at {where} {error.detail}".rstrip()
    inputs = ", ".join(i.name for i in node.inputs if i.requires_grad) or "its inputs"
    info["stopped"] = f"the backward pass stops here: nothing flows back to {inputs}"
    if event.unreached:
        them = "it" if len(event.unreached) == 1 else "them"
        info["unreached"] = (f"not reached: {', '.join(n.name for n in event.unreached)} "
                             f"(no backward step ran at {them})")
    return info


def written(before, value, after="", indent=" " * 12):
    """Text lines of `before`, the value, `after`: one line, or for a listed matrix `before` alone and then the
    matrix one row a line, indented by `indent`, `after` ending the last row."""
    rows = value_lines(value)
    if len(rows) == 1:
        return [before + rows[0] + after]
    return [before.rstrip()] + [indent + row for row in rows[:-1]] + [indent + rows[-1] + after]


def edge_details(edge, upstream, output):
    """What flows along one input edge of a backward step (upstream: the step's dL/dnode), as text fields."""
    node, inp = edge.node, edge.input
    info = {"input": inp.name, "slot": edge.slot, "shape": shape_text(inp)}
    if not edge.needs_grad:
        info["note"] = f"{inp.name} needs no gradient ({inp.role or 'no input of it requires one'})"
        return info
    jac = edge.jacobian
    info["jacobian"] = jac.describe()
    info["local_name"] = f"d{node.name}/d{inp.name}"
    small = edge.local_matrix()
    info["local"] = matrix_text(small) if small is not None else f"{jac.shape[0]}x{jac.shape[1]} {jac.structure}"
    info["contribution"] = value_line(edge.contribution)
    info["accumulated_name"] = d(output, inp)
    info["accumulated"] = value_line(edge.accumulated)
    info["complete"] = edge.complete
    if small is not None and small.size == 1:
        info["product"] = product_text(upstream, small, edge.contribution)
    return info


def rule_text(event):
    """The local rule in the notation of a backward step: the product of numbers where every gradient is one
    number, else the vector-Jacobian product with its flattening said."""
    sizes = [np.size(event.node._value)] + [np.size(e.input._value) for e in event.edges]
    if max(sizes, default=1) == 1:
        return SCALAR_RULE
    return (f"{ARRAY_RULE}  ({FLATTENED}; local: a row per entry of {event.node.name}, a column per entry of "
            f"the input, both row-major)")


def product_text(upstream, local, contribution):
    """'-4 × 1 = -4': upstream times a one-number local gradient equals the contribution."""
    return f"{value_line(upstream)} × {matrix_text(local)} = {value_line(contribution)}"


def products_line(event):
    """'contribution = upstream × local: to x -4 × 1 = -4, to y -4 × 1 = -4': a backward step's products, when
    every local gradient it passes on is a single number (the lecture's circuits of scalars); else ''."""
    if event.phase != BACKWARD or not event.edges or getattr(event, "error", None) is not None \
            or np.size(event.node._value) != 1:
        return ""
    parts = []
    for edge in event.edges:
        if not edge.needs_grad:
            continue
        local = edge.local_matrix(max_entries=1) if np.size(edge.input._value) == 1 else None
        if local is None:
            return ""
        parts.append(f"to {edge.input.name} {product_text(event.upstream, local, edge.contribution)}")
    return f"{SCALAR_RULE}: " + ", ".join(parts) if parts else ""


def jacobian_lines(event):
    """A backward step of arrays, input by input: the local Jacobian's full shape, structure and formula, and the
    shape of the contribution its VJP made (never building the Jacobian):

        contribution = local^T · upstream, upstream 4x3 (mean=0.0043 std=0.12) as a column of 12, row-major
        to h   12x20 matmul: d(h@W)/dh = I ⊗ W^T   (...) → 4x5 (mean=-0.0001 std=0.079)

    '' at other steps."""
    if event.phase != BACKWARD or not event.edges or getattr(event, "error", None) is not None:
        return ""
    rows = [(edge.input.name, edge.jacobian.describe(), _sized(edge.contribution))
            for edge in event.edges if edge.needs_grad and edge.contribution is not None]
    if not rows:
        return ""
    width = max(len(name) for name, _, _ in rows)
    column = f" as a column of {np.size(event.upstream)}, row-major" if np.ndim(event.upstream) > 1 else ""
    lines = [f"{ARRAY_RULE}, upstream {_sized(event.upstream)}{column}"]
    lines += [f"to {name:<{width}}  {jacobian} \u2192 {sized}" for name, jacobian, sized in rows]
    return "\n".join(lines)


def _sized(v):
    """'2 [-0.197, -0.393]', '4x3 (listed on the picture)' or '4x5 (mean=0.12 std=0.5)': an array's shape and its
    entries when they are written out (notation.written_out) in one row; a matrix of several rows is written
    out on the cards and edges of the picture, where it has a line per row; a number as it is."""
    if np.size(v) == 1:
        return value_line(v)
    lines = value_lines(v)
    if len(lines) > 1:
        return f"{shape_text(v)} ({LISTED_ON_PICTURE})"
    return f"{shape_text(v)} {lines[0]}" if written_out(v) else f"{shape_text(v)} ({lines[0]})"


def backward_story(event):
    """What a picture writes under a backward step's line: the products of scalars (products_line), else each
    input's local Jacobian (jacobian_lines); '' at other steps."""
    return products_line(event) or jacobian_lines(event)


def ratio_verdict(ratio, shape=None, before_rms=None, step_norm=None, first_step=False):
    """How an update/weight ratio compares with the lecture's rule of thumb (about 1e-3); where the ratio means
    nothing (a bias, weights ~0, a step of 0, an adaptive rule's first step: graphscope.engine.update_ratio), why
    it is not judged."""
    verdict = judge(ratio, shape, before_rms, step_norm, first_step)
    if verdict is None:
        return "the weights are all 0: no ratio"
    if verdict in UNJUDGED:
        return "not judged: " + UNJUDGED[verdict]
    if verdict in ("nan", "inf"):
        return f"{verdict}: the step or the weights are not finite"
    if verdict == "high":
        return f"large: the learning rate may be too high; rule of thumb about {UPDATE_RATIO_TARGET_TEXT}"
    if verdict == "low":
        return f"small: the learning rate may be too low; rule of thumb about {UPDATE_RATIO_TARGET_TEXT}"
    return f"about the rule of thumb, {UPDATE_RATIO_TARGET_TEXT}"


def event_verdict(event):
    """ratio_verdict of an update step, knowing its parameter's shape, size and step (engine.update_ratio's
    measure_step): the one verdict the terminal UI, the player, the pictures and `export` give a step."""
    measured = measure_step(event.value_before, event.delta)
    return ratio_verdict(event.ratio, measured.shape, measured.before_rms, measured.step_norm,
                         first_adaptive_step(event.optimizer, event.state_before))


def update_details(event, output):
    """An update step's numbers as text fields: gradient, optimizer state before/after, step, values, ratio."""
    node = event.node
    return {"optimizer": event.optimizer, "grad_name": d(output, node), "grad": value_line(event.grad),
            "state": [{"name": k, "before": value_line(event.state_before[k]),
                       "after": value_line(event.state_after[k])} for k in event.state_after],
            "step_taken": value_line(event.delta), "value_before": value_line(event.value_before),
            "value_after": value_line(event.value_after),
            "ratio": "n/a" if event.ratio is None else ratio_text(event.ratio),  # the verdict says why
            "ratio_verdict": event_verdict(event)}


def update_lines(event, info, pad=" " * 6):
    """An update step's fields (update_details) as text lines; listed matrices one row a line."""
    deeper = pad + " " * 4
    rows = written(f"{pad}gradient {info['grad_name']} = ", event.grad, indent=deeper)
    for s in info["state"]:
        name = f"{pad}{info['optimizer']} state {s['name']}"
        rows += _before_after(name, event.state_before[s["name"]], event.state_after[s["name"]], deeper)
    if not info["state"]:
        rows.append(f"{pad}{info['optimizer']} keeps no state: the step is -lr x gradient")
    rows += written(f"{pad}step = ", event.delta, indent=deeper)
    rows += _before_after(f"{pad}{info['node']}", event.value_before, event.value_after, deeper)
    rows.append(f"{pad}update/weight = {info['ratio']}   ({info['ratio_verdict']})")
    return rows


def _before_after(name, before, after, indent):
    """'name: before -> after' in one line; listed matrices as 'name before:' and 'name after:' with their rows."""
    if len(value_lines(before)) == 1 and len(value_lines(after)) == 1:
        return [f"{name}: {value_line(before)} -> {value_line(after)}"]
    return written(f"{name} before: ", before, indent=indent) + written(f"{name} after: ", after, indent=indent)


def details(event, output):
    """The step as a dict: step, phase, node, title, value/upstream, and per edge its numbers."""
    node = event.node
    out = {"step": event.step, "phase": event.phase, "node": node.name, "op": node.op or node.role,
           "shape": shape_text(node), "title": title(event, output), "source": display_location(node.source),
           "scope": node.scope or ""}
    if event.phase == FORWARD:
        out["value"] = value_line(event.value)
        return out
    if event.phase == UPDATE:
        out.update(update_details(event, output))
        return out
    out["upstream_name"] = d(output, node)
    out["upstream"] = value_line(event.upstream)
    out["rule"] = rule_text(event)
    out["edges"] = [edge_details(e, event.upstream, output) for e in event.edges]
    if event.error is not None:
        out.update(failure(event, output))
    return out


def failure_lines(info, pad=" " * 6):
    """An error step's fields (``failure``) as text lines: what the VJP did wrong, where, and where the pass ends."""
    rows = [f"{pad}VJP failed: {info['error']}"]
    if "error_at" in info:
        rows.append(f"{pad}  {info['error_at']}")
    rows.append(f"{pad}{info['stopped']}")
    if "unreached" in info:
        rows.append(f"{pad}{info['unreached']}")
    return rows


def lines(event, output):
    """The step as indented text lines (the demo's walk); a listed matrix stands one row a line."""
    info = details(event, output)
    before, value, after = _title_parts(event, output)
    head = written(f"step {event.step:>3}  {before}", value, after)
    if event.phase == UPDATE:
        return head + update_lines(event, info)
    if event.phase == BACKWARD and event.error is not None:
        return head + failure_lines(info)
    if event.phase == FORWARD or not event.edges:
        return head
    rows = head
    pad, deeper = " " * 8, " " * 12
    for e, edge in zip(info["edges"], event.edges):
        to = f"      to {e['input']} (input {e['slot']}, {e['shape']}):"
        if "note" in e:
            rows.append(f"{to} {e['note']}")
            continue
        local = edge.local_matrix()
        if local is not None and local.size == 1:  # a 1x1 Jacobian: the one-number local gradient, as matrix_text
            local = local.reshape(())
        if local is None:  # described, not listed
            rows.append(f"{to} local {e['local_name']} = {e['local']}   [{e['jacobian']}]")
        else:
            rows += written(f"{to} local {e['local_name']} = ", local, f"   [{e['jacobian']}]", deeper)
        if "product" in e:
            rows.append(f"{pad}{SCALAR_RULE} = {e['product']}")
        else:
            rows += written(f"{pad}{ARRAY_RULE} = ", edge.contribution, indent=deeper)
        status = "complete" if e["complete"] else "partial: more consumers to come"
        rows += written(f"{pad}{e['accumulated_name']} = ", edge.accumulated, f"   ({status})", deeper)
    return rows


_Step.text = staticmethod(lines)   # str(event), print(event) and IPython's display of a step: its lines
