"""Module and Sequential: named parameters, train/eval modes, recording in the module's scope.

A module called on a tensor records its ops inside ``gs.scope(module.name)``,
so pictures, the TUI and the layer statistics group them by layer (``fc1``,
``bn1``, ...). Parameters are ``gs.param`` leaves named ``<module>.<what>``
(``fc1.W``, ``fc1.b``, ``bn1.gamma``). A container without a name (the
default for Sequential and MLP) opens no scope of its own.
"""
import numpy as np

from ..engine import GraphscopeError, NotFoundError, PositionError, param, scope
from ..engine.source import SCOPES


class Module:
    """Base class of layers: ``forward(x)``, parameters, buffers, children, modes."""

    #: The default name of a layer of this kind (Sequential numbers them: fc1, fc2, ...).
    prefix = "module"

    def __init__(self, name=None):
        self._name = name if name is None else str(name)
        self._params = {}      # what -> gs.param leaf
        self._buffers = {}     # what -> ndarray (state that is not trained, e.g. running averages)
        self._children = []
        self.training = True

    # ---------------------------------------------------------------- names
    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name):
        self._name = None if name is None else str(name)
        for what, p in self._params.items():
            p.name = self._qualified(what)

    def _qualified(self, what):
        return what if self._name is None else f"{self._name}.{what}"

    def add_param(self, what, value):
        """Register a trainable parameter (a gs.param named '<module>.<what>') and return it."""
        p = param(value, name=self._qualified(what))
        self._params[what] = p
        return p

    # ---------------------------------------------------------------- calling
    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not define forward(x)")

    def __call__(self, x):
        if self._name is None:
            return self.forward(x)
        with scope(self._name):
            for p in self._params.values():
                p.scope = SCOPES.current   # the parameters are drawn with their layer
            return self.forward(x)

    # ---------------------------------------------------------------- walking
    def modules(self):
        """This module and every module inside it, depth first."""
        out = [self]
        for child in self._children:
            out += child.modules()
        return out

    def named_parameters(self):
        """(name, parameter) pairs of this module and its children, in order."""
        return [(p.name, p) for m in self.modules() for p in m._params.values()]

    def parameters(self):
        """The trainable leaves, in order (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Clear the parameters' gradients."""
        for p in self.parameters():
            p.grad = None

    def named_buffers(self):
        return [(m._qualified(what), b) for m in self.modules() for what, b in m._buffers.items()]

    # ---------------------------------------------------------------- modes
    def train(self, mode=True):
        """Training mode (batch statistics, dropout on) for this module, its children and the nodes they recorded."""
        for m in self.modules():
            m.training = bool(mode)
            m._set_recorded_mode(bool(mode))
        return self

    def eval(self):
        """Test-time mode: running averages in batch norm, dropout off."""
        return self.train(False)

    def _set_recorded_mode(self, mode):
        """Switch the nodes this module recorded (batch norm and dropout override this)."""

    # ---------------------------------------------------------------- state
    def state_dict(self):
        """{name: ndarray copy} of every parameter and buffer."""
        state = {name: np.array(p.value) for name, p in self.named_parameters()}
        state.update({name: np.array(b) for name, b in self.named_buffers()})
        return state

    def load_state_dict(self, state):
        """Copy values from a state_dict into the parameters and buffers (in place; names and shapes checked)."""
        targets = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if missing or unexpected:
            hint = bias_before_batchnorm_hint(unexpected, targets)
            if hint:
                hint += (" To load this state, drop each such bias and subtract it from the running_mean of the "
                         "batch norm after it (" + "; ".join(self._bias_fix(name) for name in unexpected
                                                           if name.endswith(".b") and name[:-2] + ".W" in targets)
                         + "): the outputs stay the same in training and test mode.")
            raise GraphscopeError(f"load_state_dict: missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}"
                                  + (f". {hint}" if hint else ""))
        for name, target in targets.items():
            value = np.asarray(state[name])
            current = target.value if hasattr(target, "value") else target
            if value.shape != np.shape(current):
                raise GraphscopeError(f"load_state_dict: {name} has shape {value.shape}, the module's has "
                                      f"{np.shape(current)}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if hasattr(target, "value"):
                if isinstance(target.value, np.ndarray):
                    np.copyto(target.value, value)
                else:
                    target.value = float(value)
            else:
                np.copyto(target, value)

    def _bias_fix(self, bias_name):
        """"state['bn1.running_mean'] -= state.pop('fc1.b')" for the bias of the Linear before batch norm bn1."""
        layer = bias_name[:-2]
        after = None
        for m in self.modules():
            kids = m._children
            for a, b in zip(kids, kids[1:]):
                if a.name == layer and "running_mean" in b._buffers:
                    after = b._qualified("running_mean")
        if after is None:
            return f"state.pop('{bias_name}')"
        return f"state['{after}'] -= state.pop('{bias_name}')"

    # ---------------------------------------------------------------- display
    def extra_repr(self):
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()})"
        if self._name is not None:
            head = f"{self._name}: {head}"
        if not self._children:
            return head
        inner = "\n".join("  " + line for c in self._children for line in repr(c).splitlines())
        return f"{head[:-1]}\n{inner}\n)"


def bias_before_batchnorm_hint(extra, names):
    """Why saved parameters 'X.b' are unexpected when the model has X.W but no X.b, or "".

    `extra`: names the saved state holds that the model lacks; `names`: the model's. gs.nn.MLP(batchnorm=True)
    once gave its Linears before batch norm a bias; it no longer does (its gradient is always 0).
    """
    layers = [n[:-2] for n in extra if n.endswith(".b") and n[:-2] + ".W" in names]
    if not layers:
        return ""
    have = "has" if len(layers) == 1 else "have"
    return (f"{', '.join(layers)} {have} no bias in this model: a Linear followed by batch norm has none (the "
            f"normalization subtracts it again, so its gradient is always 0; batch norm's beta is the bias). "
            f"The saved state comes from a model that had one, as gs.nn.MLP(batchnorm=True) made before.")


class Sequential(Module):
    """Modules applied one after another; unnamed children are named by kind and position (fc1, relu1, fc2, ...)."""

    prefix = "seq"

    def __init__(self, *modules, name=None):
        super().__init__(name)
        counts = {}
        for m in modules:
            if not isinstance(m, Module):
                raise GraphscopeError(f"Sequential takes gs.nn modules, got {type(m).__name__}")
            counts[m.prefix] = counts.get(m.prefix, 0) + 1
            if m.name is None or m.name == m.prefix:
                m.name = f"{m.prefix}{counts[m.prefix]}"
            self._children.append(m)
        names = [m.name for m in self._children]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise GraphscopeError(f"Sequential: two layers share the name(s) {', '.join(duplicated)}")

    def __getitem__(self, i):
        if isinstance(i, str):
            for m in self._children:
                if m.name == i:
                    return m
            raise NotFoundError(f"no layer named {i!r}; layers: {', '.join(m.name for m in self._children)}")
        try:
            return self._children[i]
        except (IndexError, TypeError):
            raise PositionError(f"Sequential[{i!r}]: there are {len(self._children)} layers (0..{len(self._children) - 1}),"
                                f" or look one up by name") from None

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children)

    def forward(self, x):
        for m in self._children:
            x = m(x)
        return x
