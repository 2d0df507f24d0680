"""What went wrong inside a custom op's VJP (or forward), in the user's words rather than numpy's.

A custom op's VJP gets read-only views of its arrays (``read_only``), and its
forward read-only views of its inputs: the upstream gradient, the inputs and
the value are the graph's own arrays, and a function that wrote into them
(``x[x > 0] = 1``, ``g *= 2``, ``x -= x.max()``) would silently change the
recorded values and gradients. numpy then raises "assignment destination is
read-only"; ``explain`` turns that into "the VJP writes into its input x: work
on a copy (x = x.copy())", and numpy's matmul and broadcasting errors into the
shapes of the operands on the failing line ("g (5, 5) @ b (3, 5)").
"""
import ast
import linecache

import numpy as np

from .source import is_internal

#: numpy's words for a write into a read-only array (an item assignment; an in-place operator or out=).
_READ_ONLY = ("assignment destination is read-only", "output array is read-only")


def read_only(v):
    """A read-only view of an array (a Python float or a non-array is returned as it is)."""
    if v.__class__ is not np.ndarray:
        return v
    view = v.view()
    view.flags.writeable = False
    return view


def _user_entry(tb):
    """The innermost entry of traceback `tb` in the user's code (not graphscope's, not numpy's), or None."""
    found = None
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if not is_internal(name) and "numpy" not in name.replace("\\", "/").split("/"):
            found = tb
        tb = tb.tb_next
    return found


def explain(exc, tb, roles, given="VJPs"):
    """What a VJP did wrong, in its own words, or None when there is nothing to add to numpy's: (what, advice) for a
    write into a read-only array ('writes into its input x', 'work on a copy (x = x.copy()) ...'), (None, text)
    for a shape error ('g (5, 5) @ b (3, 5): ...').

    `roles` maps id(array) -> what the array is to the VJP ('upstream gradient', 'input', 'value'), for the
    read-only views it was given; the name said is the VJP's own (the variable written into). `given` names who
    gets read-only arrays in the advice ("custom ops' forwards" for a forward's write).
    """
    at = _user_entry(tb)
    if at is None:
        return None
    frame, line = at.tb_frame, at.tb_lineno
    code = _line(frame.f_code.co_filename, line)
    text = str(exc)
    if isinstance(exc, ValueError) and any(words in text for words in _READ_ONLY):
        name = _written_name(code)
        kind = roles.get(id(frame.f_locals.get(name))) if name else None
        role = None if kind is None else f"its {kind} {name}"
        if role is None:
            given_kinds = "inputs" if set(roles.values()) == {"input"} else "upstream gradient, inputs or value"
            role = f"one of the arrays it was given (its {given_kinds}) or a view of one"
        copied = name or "y"
        fix = f"work on a copy ({copied} = {copied}.copy()) or build a new array"
        return f"writes into {role}", (f"{fix}; graphscope gives {given} read-only arrays so a recorded value "
                                       f"is never changed")
    if isinstance(exc, ValueError):
        shapes = _operand_shapes(code, frame)
        if shapes:
            return None, shapes
    return None


def _line(filename, lineno):
    return linecache.getline(filename, lineno).strip()


def _parsed(code):
    try:
        return ast.parse(code)
    except SyntaxError:
        try:
            return ast.parse(code.rstrip(":") + ": pass") if code.endswith(":") else None
        except SyntaxError:
            return None


def _written_name(code):
    """The name a line writes into: x in 'x[...] = ...', g in 'g *= 2', y in 'np.add(a, b, out=y)'."""
    tree = _parsed(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
            if isinstance(node, ast.AugAssign) else []
        for t in targets:
            while isinstance(t, (ast.Subscript, ast.Attribute)):
                t = t.value
            if isinstance(t, ast.Name):
                return t.id
        if isinstance(node, ast.keyword) and node.arg == "out" and isinstance(node.value, ast.Name):
            return node.value.id
    return None


def _simple(node):
    """True for an expression safe to evaluate again: a name, a constant, or such an expression's .T / .mT."""
    if isinstance(node, ast.Name) or isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Attribute) and node.attr in ("T", "mT"):
        return _simple(node.value)
    return False


_SYMBOLS = {ast.MatMult: "@", ast.Mult: "*", ast.Add: "+", ast.Sub: "-", ast.Div: "/", ast.Pow: "**"}


def _operand_shapes(code, frame):
    """'g (5, 5) @ b (3, 5): ...' for the first operation on the line whose operands' shapes do not fit, or None."""
    tree = _parsed(code)
    if tree is None:
        return None
    for node in ast.walk(tree):
        if not (isinstance(node, ast.BinOp) and type(node.op) in _SYMBOLS and _simple(node.left)
                and _simple(node.right)):
            continue
        try:
            a, b = (eval(compile(ast.Expression(side), "<vjp>", "eval"), frame.f_globals, dict(frame.f_locals))
                    for side in (node.left, node.right))
        except Exception:
            continue
        sa, sb = np.shape(a), np.shape(b)
        why = _misfit(type(node.op), sa, sb)
        if why:
            symbol = _SYMBOLS[type(node.op)]
            return f"{ast.unparse(node.left)} {sa} {symbol} {ast.unparse(node.right)} {sb}: {why}"
    return None


def _misfit(op, sa, sb):
    """Why shapes sa and sb do not fit under `op`, or None."""
    if op is ast.MatMult:
        if not sa or not sb:
            return "@ does not take a 0-d operand"
        inner_a, inner_b = sa[-1], sb[0] if len(sb) == 1 else sb[-2]
        if inner_a != inner_b:
            return (f"the left operand's last size ({inner_a}) must equal the right operand's "
                    f"{'size' if len(sb) == 1 else 'second-to-last size'} ({inner_b}); a transpose (.T) missing?")
        return None
    try:
        np.broadcast_shapes(sa, sb)
    except ValueError:
        return "the shapes do not broadcast together"
    return None


def describe_roles(g, vals, value):
    """{id(view): role} for the read-only views a VJP was given: its upstream gradient, each input, its value."""
    roles = {id(g): "upstream gradient"}
    for v in vals:
        roles.setdefault(id(v), "input")
    roles.setdefault(id(value), "value")
    return roles


__all__ = ["read_only", "explain", "describe_roles"]
