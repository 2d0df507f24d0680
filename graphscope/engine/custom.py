"""Custom ops: a forward and a VJP (and optionally a Jacobian description) in a few lines.

    import numpy as np
    import graphscope as gs

    @gs.custom_op
    def cube(x):
        "x ** 3, element-wise."
        return x ** 3

    @cube.vjp
    def _(g, x, value):
        return (3 * x ** 2 * g,)          # one gradient per input

    @cube.jacobian                        # optional: what the stepper and the pictures show
    def _(i, x, value):
        return gs.JacobianInfo("diagonal", "d x^3/dx = diag(3 x^2)")

    y = cube(gs.param(np.ones(3)))        # a recorded node with op 'cube'

The op goes into the same op table as the built-ins (``gs.OPS["cube"]``), so
it is recorded with its scope and source line, replayed, stepped, drawn,
saved and checked (``gs.check_nodes``) like any other. Positional arguments
of a call are the op's inputs (tensors, or numbers and arrays that become
constants); keyword arguments are attributes, passed to forward, vjp,
jacobian and check alike (and saved with the graph). A plain number or array
given positionally where the forward has a parameter with a default
(``lse(W, 0)`` for ``def lse(x, axis=1)``) is refused: pass options by keyword.

The functions see raw values (numpy arrays, or Python floats for 0-d
float64 values) and return raw values. The arrays they are given are
read-only views of the graph's own (see ``vjp_faults``): a function that
writes into one raises CustomOpError (a forward) or VJPError (a VJP) naming
the array and its line, instead of changing a recorded value.

- ``forward(*xs, **attrs) -> value``
- ``vjp(g, *xs, value, **attrs) -> tuple of gradients``, one per input, each
  shaped like its input (``None`` for an input that gets no gradient; a
  single-input op may return the gradient itself)
- ``jacobian(i, *xs, value, **attrs) -> JacobianInfo`` or ``(structure, formula)``; the
  formula may write ``{0}``, ``{1}`` for the inputs' names and ``{out}`` for the node's
  (``"d {0}^3/d{0} = diag(3 {0}^2)"``). Without one the structure is "not described".
- ``check(*xs, **attrs) -> str | None``: why the inputs do not fit, if they do not
  (asked when forward raises: the message a ShapeError shows instead of numpy's)

A forward that raises something else (a ZeroDivisionError, a bug) that no
check explains is a ForwardError naming the forward's line, never a
ShapeError. A forward's value is real: integers and booleans become float64,
and complex values are refused when the node is recorded (CustomOpError),
before they could reach a loss or a gradient.

Defining an op again under the same name replaces the earlier custom op
(handy when a notebook cell or a file runs twice); a built-in op's name
cannot be taken.
"""
import inspect
import math
import re

import numpy as np

from .errors import (ArgumentError, BackwardError, ForwardError, GraphscopeError, InputError, NotFoundError,
                     describe_shapes)
from .optable import (OPS, STRUCTURES, JacobianInfo, Op, lookup_op, not_described, register,
                      unregister as _unregister)
from .record import apply
from .source import caller_location, display_location, user_code_frames
from .values import is_tensor
from .vjp_faults import explain, read_only
from .words import plural

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")


class CustomOpError(GraphscopeError, ValueError):
    """A custom op that breaks the op contract: a bad name, a taken name, a malformed Jacobian description."""


class CustomOp:
    """A user-defined op: call it on tensors to record a node; decorate functions onto it."""

    def __init__(self, forward, name=None, vjp=None, jacobian=None, check=None, differentiable=None):
        if not callable(forward):
            raise InputError(f"custom_op: forward must be a function, got {type(forward).__name__}")
        name = forward.__name__ if name is None else name
        if not isinstance(name, str) or not _NAME.match(name):
            raise CustomOpError(f"custom_op: op name {name!r} must be an identifier (letters, digits, '_', '.')")
        self.name = name
        self._forward = forward
        self._vjp = vjp
        self._jacobian = jacobian
        self._check = check
        self._input_count = _inputs_before_options(forward)
        if vjp is not None:
            _require_vjp_signature(self, vjp)
        self.__doc__ = forward.__doc__
        self.__name__ = name
        self.op = _register(self, differentiable)

    # ---------------------------------------------------------------- decorators
    def vjp(self, fn):
        """Decorator: set the vector-Jacobian product ``fn(g, *xs, value, **attrs)``; a function that cannot be
        called that way (``def _(g, x, value)`` for an op of two inputs) is refused at once, with the signature
        it needs."""
        _require_vjp_signature(self, fn)
        self._vjp = fn
        return fn

    def jacobian(self, fn):
        """Decorator: set the Jacobian description ``fn(i, *xs, value, **attrs)``."""
        self._jacobian = fn
        return fn

    def check(self, fn):
        """Decorator: set the input check ``fn(*xs, **attrs) -> reason or None``."""
        self._check = fn
        return fn

    # ---------------------------------------------------------------- use
    def __call__(self, *inputs, **attrs):
        """Apply the op to tensors and record the output node."""
        if len(inputs) > self._input_count:
            self._refuse_positional_option(inputs, attrs)
        return apply(self.op, *inputs, **attrs)

    def _refuse_positional_option(self, inputs, attrs):
        """An ArgumentError when a plain number or array lands on an option of the forward (``lse(W, 0)`` for
        ``def lse(x, axis=1)``): it would become a constant input, not the option."""
        params = _positional_parameters(self._forward)
        first = self._input_count
        for k in range(first, min(len(inputs), len(params))):
            if not is_tensor(inputs[k]):
                shown = [_shown(a) for a in inputs[:first]]
                shown += [f"{p.name}={_shown(a)}" for p, a in zip(params[first:], inputs[first:])]
                shown += [f"{key}={_shown(v)}" for key, v in attrs.items()]
                raise ArgumentError(
                    f"{self.name}: {_shown(inputs[k])} was passed positionally, and positional arguments are the "
                    f"op's inputs (it would become a constant input, not the option {params[k].name}): pass "
                    f"options by keyword, {self.name}({', '.join(shown)})\n  at {caller_location()}")

    def __repr__(self):
        return f"<custom op {self.name}>"


def custom_op(forward=None, *, name=None, vjp=None, jacobian=None, check=None, differentiable=None):
    """Define an op from its forward function; use as ``@gs.custom_op`` or ``@gs.custom_op(name=...)``.

    ``vjp``, ``jacobian`` and ``check`` may be given here or decorated on
    afterwards (``@op.vjp``). ``differentiable`` is an optional tuple of bools
    saying which inputs can get gradients. See the module doc for the contract.
    """
    def make(fn):
        return CustomOp(fn, name=name, vjp=vjp, jacobian=jacobian, check=check, differentiable=differentiable)
    return make if forward is None else make(forward)


def is_custom(op):
    """True for an op defined with custom_op (as opposed to a built-in)."""
    return getattr(op, "handle", None) is not None


def unregister(name):
    """Remove a custom op from the op table (nodes already recorded keep working)."""
    op = OPS.get(name)
    if op is None:
        raise NotFoundError(f"no op named {name!r} is registered")
    if not is_custom(op):
        raise CustomOpError(f"{name!r} is a built-in op and cannot be removed")
    _unregister(name)


def _positional_parameters(fn):
    """The parameters of `fn` a positional argument can fill, or None when it takes *args or has no readable
    signature (a numpy ufunc)."""
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return None
    if any(p.kind is p.VAR_POSITIONAL for p in params):
        return None
    return [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _inputs_before_options(fn):
    """How many positional arguments `fn` takes before its first parameter with a default (an option such as
    axis=1); infinitely many when it takes *args or its signature cannot be read."""
    params = _positional_parameters(fn)
    if params is None:
        return math.inf
    return next((k for k, p in enumerate(params) if p.default is not p.empty), math.inf)


def _require_vjp_signature(op, fn):
    """A CustomOpError when `fn` cannot be called as ``fn(g, *inputs, value=value)`` with the op's inputs (its
    forward's parameters without a default), naming the signature it needs: found when the VJP is registered,
    not at the first backward pass."""
    if not callable(fn):
        raise CustomOpError(f"custom op {op.name}: the VJP must be a function, got {type(fn).__name__}")
    params = _positional_parameters(op._forward)
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a readable signature: called as it is
        return
    inputs = None if params is None else [p.name for p in params if p.default is p.empty]
    try:
        signature.bind(None, *([None] * len(inputs or [])), value=None)
    except TypeError as exc:
        if inputs is None and "value" not in str(exc):  # a forward of *args: any number of inputs
            return
        options = [p for p in (params or []) if p.default is not p.empty]
        names = ", ".join(inputs) if inputs else "*xs"
        name = getattr(fn, "__name__", "")
        wanted = f"def {name if name.isidentifier() else op.name + '_vjp'}(g, {names}, value" + \
            "".join(f", {p.name}={p.default!r}" for p in options) + ")"
        defined = getattr(fn, "__code__", None)
        where = "" if defined is None else \
            f"\n  VJP defined at {display_location(f'{defined.co_filename}:{defined.co_firstlineno}')}"
        raise CustomOpError(
            f"custom op {op.name}: its VJP {getattr(fn, '__name__', 'vjp')}{signature} cannot take what a VJP is "
            f"given ({exc}): it is called with the upstream gradient g, then one argument per input of "
            f"{op.name}({', '.join(inputs) if inputs else '*xs'}), then value= (the op's output) and any options "
            f"by keyword; write {wanted}:{where}") from None


def _shown(v):
    """A call's argument as the user would write it: a tensor by its name, anything else by its short repr."""
    if is_tensor(v):
        return v.name
    text = repr(v)
    return text if len(text) <= 30 else f"<{type(v).__name__}>"


def _defined_in(fn):
    """(module, file) defining the function `fn`, each None when unknown."""
    try:
        file = inspect.getsourcefile(fn)
    except TypeError:
        file = None
    return getattr(fn, "__module__", None), file


def _forward_write(name, found, exc, xs):
    """'cube: the forward writes into its input x: work on a copy ...', with the forward's line and the caller's."""
    return _forward_failure(f"{name}: the forward {found[0]}: {found[1]}", exc, xs)


def _forward_raised(name, exc, xs):
    """'op: the forward raised ZeroDivisionError: ...', with the forward's line that raised and the caller's."""
    return _forward_failure(f"{name}: the forward raised {type(exc).__name__}: {exc}", exc, xs)


def _forward_failure(headline, exc, xs):
    """`headline`, then the forward's line where `exc` was raised, the inputs' shapes and the caller's line."""
    lines = [headline]
    frames = user_code_frames(exc.__traceback__)
    if frames:
        location, detail = frames[-1]
        lines.append(f"  at {display_location(location)} {detail}")
    lines.append(f"  inputs: {describe_shapes(xs)}")
    lines.append(f"  called at {caller_location()}")
    return "\n".join(lines)


def _real(name, forward, value):
    """A forward's result of integers or booleans as float64; a CustomOpError for complex (or other) values,
    naming the op, its forward's line and the caller's (graphscope's values and gradients are real)."""
    value = np.asarray(value)
    if value.dtype.kind in "iub":
        return value.astype(np.float64)
    code = getattr(forward, "__code__", None)
    defined = "" if code is None else \
        f"\n  forward defined at {display_location(f'{code.co_filename}:{code.co_firstlineno}')}"
    what = "complex values" if value.dtype.kind == "c" else "values that are not numbers"
    hint = (": return a real part of them (np.real, np.abs), or two ops for the real and imaginary parts"
            if value.dtype.kind == "c" else "")
    raise CustomOpError(f"custom op {name}: its forward returned {what} ({value.dtype}); graphscope's values and "
                        f"gradients are real numbers{hint}{defined}\n  called at {caller_location()}")


def _register(handle, differentiable):
    existing = OPS.get(handle.name)
    if existing is not None:
        if not is_custom(existing):
            raise CustomOpError(f"custom_op: {handle.name!r} is the name of a built-in op; choose another name")
        del OPS[handle.name]
    cls = type(f"CustomOp_{handle.name.replace('.', '_')}", (_CustomBase,),
               {"name": handle.name, "handle": handle, "__doc__": handle.__doc__,
                "__module__": getattr(handle._forward, "__module__", None) or __name__,
                "differentiable": None if differentiable is None else tuple(bool(d) for d in differentiable)})
    register(cls)
    return OPS[handle.name]


class _CustomBase(Op):
    """The op-table entry of a custom op: every method reads the user's functions from its handle."""

    handle = None

    def __reduce__(self):
        """Pickled by name (its class is made at run time), with where its forward is defined: unpickling finds the
        op registered under that name, or says what to import."""
        return lookup_op, (self.name, *_defined_in(self.handle._forward))

    def forward(self, *xs, **attrs):
        views = [read_only(x) for x in xs]  # a forward that wrote into its inputs would change recorded values
        try:
            value = self.handle._forward(*views, **attrs)
        except ValueError as exc:
            found = explain(exc, exc.__traceback__, {id(v): "input" for v in views}, "custom ops' forwards")
            if found is None or not found[0]:
                raise
            raise CustomOpError(_forward_write(self.name, found, exc, xs)) from None
        except (GraphscopeError, IndexError):
            raise
        except Exception as exc:  # not about shapes (a ZeroDivisionError, a bug): unless check() explains it
            if self._explained(xs, attrs):
                raise
            raise ForwardError(_forward_raised(self.name, exc, xs), exc) from None
        if value.__class__ is np.ndarray:
            if not value.flags.writeable:  # `return x`, `x.T`: a view of an input
                value = np.array(value)
            if value.dtype.kind not in "f":
                value = _real(self.name, self.handle._forward, value)
        elif value.__class__ is complex or isinstance(value, np.complexfloating):
            value = _real(self.name, self.handle._forward, value)
        return value

    def _explained(self, xs, attrs):
        """True when the op's check() names a problem with these inputs (then the failure is a ShapeError)."""
        try:
            return bool(self.input_problem(*xs, **attrs))
        except Exception:  # an explanation must never hide the failure it explains
            return False

    def input_problem(self, *xs, **attrs):
        fn = self.handle._check
        return None if fn is None else fn(*xs, **attrs)

    def vjp(self, g, *xs, value, **attrs):
        fn = self.handle._vjp
        if fn is None:
            raise BackwardError(f"custom op {self.name} has no VJP: define one with @{self.name}.vjp "
                                f"(a function (g, *inputs, value, **attrs) -> one gradient per input)")
        grads = fn(g, *xs, value=value, **attrs)
        if not isinstance(grads, (tuple, list)):
            if len(xs) != 1:
                raise BackwardError(f"custom op {self.name}: the VJP must return a tuple of {len(xs)} gradients "
                                    f"(one per input), got a single {type(grads).__name__}")
            grads = (grads,)
        if len(grads) != len(xs):
            short = f"VJP returned {plural(len(grads), 'gradient')} for {plural(len(xs), 'input')}"
            error = BackwardError(f"custom op {self.name}: the {short} (return one per input, None where "
                                  f"there is none)")
            error.short = short
            raise error
        return tuple(grads)

    def jacobian(self, i, *xs, value, **attrs):
        fn = self.handle._jacobian
        if fn is None:
            return not_described(self.name, i)
        info = fn(i, *xs, value=value, **attrs)
        if isinstance(info, str):
            info = JacobianInfo("dense", info)
        elif not isinstance(info, JacobianInfo):
            try:
                info = JacobianInfo(*info)
            except TypeError:
                raise CustomOpError(f"custom op {self.name}: the Jacobian description must return "
                                    f"gs.JacobianInfo(structure, formula) or a (structure, formula) pair, "
                                    f"got {info!r:.80}") from None
        if info.structure not in STRUCTURES:
            raise CustomOpError(f"custom op {self.name}: Jacobian structure {info.structure!r} is not one of "
                             f"{', '.join(STRUCTURES)}")
        return info
