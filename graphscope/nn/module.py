"""Module and Sequential: named parameters, train/eval modes, recording in the module's scope.

A module called on a tensor records its ops inside ``gs.scope(module.name)``,
so pictures, the TUI and the layer statistics group them by layer (``fc1``,
``bn1``, ...). Parameters are ``gs.param`` leaves named ``<module>.<what>``
(``fc1.W``, ``fc1.b``, ``bn1.gamma``); inside a nested model by the layer's whole
path, as ``state_dict()`` keys them (``enc.fc1.W`` and ``dec.fc1.W`` for an
autoencoder's two blocks, recorded in scopes ``enc/fc1`` and ``dec/fc1``). A container without a name (the
default for Sequential, MLP and a user's own Module subclass) opens no scope of its own,
unless another unnamed model with layers of the same names is in its graph: then it
takes a default name ('mlp_2', 'seq_2', 'net_2'; see ``modelnames``).

Children are registered as in PyTorch: assigning a module to an attribute
(``self.fc1 = gs.nn.Linear(4, 16)``) makes it a child named after the
attribute when it has no name of its own; assigning a ``gs.param`` registers
a parameter. A layer made without a name gets a default one that no other
live layer holds (``fc``, ``fc_2``, ...), so two standalone layers never
share their parameters' names; a layer an IPython cell made yields its name
to the one the same cell makes when run again, so a cell run twice gives the
same names. ``state_dict()`` keys are relative to the module it is called on,
as in PyTorch: ``W`` and ``b`` for a standalone Linear, whatever its name.
"""
import weakref
from collections import namedtuple
from collections.abc import Mapping

import numpy as np

from ..engine import GraphscopeError, NotFoundError, PositionError, param, scope
from ..engine.source import SCOPES, cell_site
from ..engine.staleness import changed
from .attribute_hints import missing_attribute
from .modelnames import collides, superseded
from .torch_state import torch_keys_hint, transposed_hint

#: Default names held by live layers made without a name: 'fc', 'fc_2', ... -> the layer.
_DEFAULT_NAMES = weakref.WeakValueDictionary()
#: The attributes Module.__init__ sets (a subclass that never calls it lacks them).
_STATE = ("_name", "_auto_named", "_params", "_buffers", "_children", "_child_attrs", "training")


def _name_held(name, module):
    """True when a live layer other than `module` holds default name `name` (one that an IPython cell made and
    that cell, run again, is making `module` in its place holds it no longer: the same cell gives the same names)."""
    holder = _DEFAULT_NAMES.get(name)
    return holder is not None and holder is not module and not superseded(holder, module)


def _free_default_name(prefix, module, taking_over=True):
    """The first of 'fc', 'fc_2', 'fc_3', ... that no live layer made without a name holds; claimed for `module`.
    `taking_over`: a layer the same IPython cell made in an earlier run holds its name no longer (_name_held)."""
    k, candidate = 1, prefix
    while (_name_held(candidate, module) if taking_over else
           _DEFAULT_NAMES.get(candidate) not in (None, module)):
        k += 1
        candidate = f"{prefix}_{k}"
    _DEFAULT_NAMES[candidate] = module
    return candidate


def _is_param(value):
    return getattr(value, "role", None) == "param" and getattr(value, "op_def", True) is None


class Module:
    """Base class of layers and networks: ``forward(x)``, parameters, buffers, children, modes.

    Write a network as in PyTorch::

        class Net(gs.nn.Module):
            def __init__(self):
                super().__init__()                      # first: it sets up the registries
                self.fc1 = gs.nn.Linear(4, 16, rng=0)   # a child named 'fc1': parameters fc1.W, fc1.b
                self.drop = gs.nn.Dropout(0.5)
                self.fc2 = gs.nn.Linear(16, 2, rng=1)
                self.scale = gs.param(1.0)              # a parameter of Net itself
            def forward(self, x):
                return self.fc2(self.drop(gs.relu(self.fc1(x)))) * self.scale

    Assigning a module to an attribute registers it as a child (named after the
    attribute unless it was given a name); a ``gs.param`` registers a
    parameter; layers kept in a list go in a ``gs.nn.ModuleList``. Children are
    what ``parameters()``, ``state_dict()``, ``train()`` and ``eval()`` walk.
    """

    #: The default name of a layer of this kind (Sequential numbers them: fc1, fc2, ...).
    prefix = "module"
    #: Whether a module made without a name gets a default one ('fc', 'fc_2', ...); containers get none.
    named_by_default = False

    def __init__(self, name=None):
        d = self.__dict__
        d["_made_at"] = cell_site(2)   # which IPython cell line made it, in which run (None outside IPython)
        d["_auto_named"] = name is None and self.named_by_default
        d["_name"] = _free_default_name(self.prefix, self) if d["_auto_named"] else \
            (name if name is None else str(name))
        d["_params"] = {}      # what -> gs.param leaf
        d["_buffers"] = {}     # what -> ndarray (state that is not trained, e.g. running averages)
        d["_children"] = []
        d["_child_attrs"] = {}  # attribute name -> child module registered by assignment
        d["training"] = True

    # ---------------------------------------------------------------- registering
    def __setattr__(self, attr, value):
        """``self.fc1 = layer`` registers a child, ``self.w = gs.param(...)`` a parameter; other values are kept."""
        d = self.__dict__
        registering = isinstance(value, Module) or _is_param(value) or _holds_modules(value)
        if registering and "_children" not in d:
            raise GraphscopeError(_no_init_message(self, f"assigning self.{attr}"))
        if "_children" in d:
            self._forget_attribute(attr, value)
            if isinstance(value, Module):
                self._adopt(attr, value)
            elif _is_param(value) and not any(p is value for p in self._params.values()):
                if value._name is None:
                    value.name = self._qualified(attr)
                self._params[attr] = value
            elif _holds_modules(value):
                raise GraphscopeError(f"{type(self).__name__}.{attr}: a plain {type(value).__name__} of modules is "
                                      f"not registered (its layers would be missing from parameters(), state_dict() "
                                      f"and eval()); use gs.nn.ModuleList([...])")
        object.__setattr__(self, attr, value)

    def __delattr__(self, attr):
        """``del self.fc1`` unregisters the child (or parameter) too."""
        if "_children" in self.__dict__:
            self._forget_attribute(attr, None)
        object.__delattr__(self, attr)

    #: PyTorch's attribute names this kind of module spells otherwise -> what to write instead (a string, or a
    #: function of the module giving one): ``fc.weight`` says ``W`` and its shape (``attribute_hints``).
    torch_names = {
        "to": "not needed: graphscope computes with numpy on the CPU, in the dtype a layer was made with",
        "cuda": "not needed: graphscope computes with numpy on the CPU",
        "cpu": "not needed: graphscope computes with numpy on the CPU",
        "double": "a layer's dtype is chosen when it is made (dtype='float64', the default)",
        "float": "a layer's dtype is chosen when it is made: gs.nn.Linear(..., dtype='float32')",
        "register_parameter": "assign it: self.name = gs.param(value) (or self.add_param('name', value))",
        "add_module": "assign it: self.name = layer (a child named after the attribute)",
        "register_module": "assign it: self.name = layer (a child named after the attribute)",
    }

    def __getattr__(self, attr):
        """Only called when normal lookup fails: a subclass that skipped super().__init__() is told so; a PyTorch
        name says what to write instead, a layer of a container how to reach it, a misspelt name the nearest."""
        if attr in _STATE and "_children" not in self.__dict__:
            raise GraphscopeError(_no_init_message(self, f"using {type(self).__name__}"))
        if attr.startswith("_") or "_children" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attr!r}")
        raise missing_attribute(self, attr)

    def _adopt(self, attr, child):
        """Register `child` under attribute `attr` (named after it when it has no name of its own)."""
        if child is self:
            raise GraphscopeError(f"{type(self).__name__}.{attr}: a module cannot be its own child")
        if any(c is child for c in self._children):
            return
        name = attr if child._auto_named or child.name is None else child.name
        if any(c.name == name for c in self._children):
            raise GraphscopeError(f"{type(self).__name__}.{attr}: it has a layer named {name!r} already; give "
                                  f"{type(child).__name__} another name (name=...) so their parameters differ")
        if name != child.name:
            child.name = name
        child._requalify_inner(None, name)   # its layers' parameters carry its path: 'enc.fc1.W', as state_dict
        self._children.append(child)
        self._child_attrs[attr] = child

    def _forget_attribute(self, attr, value):
        """Unregister what attribute `attr` registered before it is replaced by `value` (or deleted)."""
        old = self._child_attrs.pop(attr, None)
        if old is not None and old is not value:
            self._children[:] = [c for c in self._children if c is not old]
        held = self._params.get(attr)
        if held is not None and held is not value and getattr(self, attr, None) is held:
            del self._params[attr]

    # ---------------------------------------------------------------- names
    @property
    def name(self):
        """The layer's name: its scope and its parameters' prefix ('fc1'), or None for an unnamed container."""
        return self._name

    @name.setter
    def name(self, name):
        if self._auto_named and _DEFAULT_NAMES.get(self._name) is self:
            del _DEFAULT_NAMES[self._name]   # the default name is free again
        before = {what: self._qualified(what) for what in self._params}
        old = self._name
        self.__dict__.update(_auto_named=False, _name=None if name is None else str(name))
        for what, p in self._params.items():
            if p._name in (None, before[what]):   # a parameter the user named keeps its name
                p.name = self._qualified(what)
        if old is not None:   # its layers' names qualified by its old name ('mlp_2.fc1.W') lose it
            self._requalify_inner(old, None)

    def _take_default_name(self):
        """Name this container by its kind, numbered from 2 ('mlp_2'): another unnamed one records as 'fc1', ..."""
        prefix = type(self).__name__.lower() if self.prefix == Module.prefix else self.prefix
        k = 2
        while _name_held(f"{prefix}_{k}", self):
            k += 1
        self.name = f"{prefix}_{k}"
        _DEFAULT_NAMES[self._name] = self
        self.__dict__["_auto_named"] = True   # a parent adopting it still names it after its attribute
        self._requalify_inner(None, self._name)   # its layers' parameters: 'mlp_2.fc1.W', unlike the other's

    def _name_anew(self):
        """A layer whose default name a newer one took (the same IPython cell run again) takes a free one before
        it records again: the two may meet in one graph ('fc' and 'fc_2', never two 'fc')."""
        prefix = self._name.rsplit("_", 1)[0] if self._name.rsplit("_", 1)[-1].isdigit() else self._name
        self.name = _free_default_name(prefix, self, taking_over=False)
        self.__dict__["_auto_named"] = True

    def _requalify_inner(self, old, new):
        """Rename the parameters of the layers inside this one from '<old>.<path>.<what>' to '<new>.<path>.<what>'
        (either prefix may be None: none). A parameter the user named otherwise keeps its name."""
        def join(prefix, rest):
            return rest if prefix is None else f"{prefix}.{rest}"
        for path, m in self.named_modules()[1:]:
            for what, p in m._params.items():
                if p._name == join(old, f"{path}.{what}"):
                    p.name = join(new, f"{path}.{what}")

    def _qualified(self, what):
        return what if self._name is None else f"{self._name}.{what}"

    def add_param(self, what, value):
        """Register a trainable parameter (a gs.param named '<module>.<what>') and return it."""
        p = param(value, name=self._qualified(what))
        self._params[what] = p
        return p

    # ---------------------------------------------------------------- calling
    def forward(self, *inputs):
        """The computation: override it in a subclass (``__call__`` runs it in the module's scope)."""
        raise NotImplementedError(f"{type(self).__name__} does not define forward(x)")

    def __call__(self, *inputs, **kwargs):
        """``forward(*inputs)`` with its ops recorded in the module's scope (none for an unnamed container).

        An unnamed container called on the output of another unnamed model whose layers hold the same names (two
        ``gs.nn.MLP``s, each with an fc1), or on the same input, takes a default name first ('mlp_2', 'seq_2',
        'net_2', ...), so the two models' layers never share a scope in one graph.
        """
        if self._name is None and SCOPES.current is None and collides(self, inputs):
            self._take_default_name()
        elif self._auto_named and self._name is not None and _DEFAULT_NAMES.get(self._name) is not self:
            self._name_anew()
        if self._name is None:
            return self.forward(*inputs, **kwargs)
        with scope(self._name):
            for p in self._params.values():
                p.scope = SCOPES.current   # the parameters are drawn with their layer
            return self.forward(*inputs, **kwargs)

    # ---------------------------------------------------------------- walking
    def named_modules(self):
        """(path, module) for this module ('') and every module inside it, depth first, each once.

        A path joins the names from this module's children down ('block.fc1'), as PyTorch's does.
        """
        out, seen = [], set()

        def walk(m, path):
            if id(m) in seen:
                return
            seen.add(id(m))
            out.append((path, m))
            for child in m._children:
                walk(child, child.name if not path else path if child.name is None else f"{path}.{child.name}")
        walk(self, "")
        return out

    def modules(self):
        """This module and every module inside it, depth first."""
        return [m for _, m in self.named_modules()]

    def named_children(self):
        """(name, module) for each direct child, in order (PyTorch's named_children)."""
        return [(c.name, c) for c in self._children]

    def children(self):
        """The direct children, in order (PyTorch's children)."""
        return list(self._children)

    def __getitem__(self, path):
        """The module at a (dotted) path from this one: ``net["fc1"]``, ``net["enc.fc1"]`` (or its scope, 'enc/fc1')."""
        if not isinstance(path, str):
            raise PositionError(f"{type(self).__name__}[{path!r}]: look a layer up by its (dotted) name, e.g. "
                                f"{type(self).__name__.lower()}[{self._example_path()!r}]")
        paths = {p: m for p, m in self.named_modules() if p}
        if path.replace("/", ".") in paths:   # a scope path ('enc/fc1') names the same layer
            return paths[path.replace("/", ".")]
        from ..engine.words import did_you_mean
        listed = ", ".join(paths) or "none (it has no layers)"
        raise NotFoundError(f"{type(self).__name__}: no layer named {path!r}; layers: {listed}"
                            f"{did_you_mean(path, list(paths))}")

    def _example_path(self):
        paths = [p for p, _ in self.named_modules() if p]
        return paths[-1] if paths else "fc1"

    def _key(self, path, m, what):
        """The state_dict key of `what` of module `m` at `path`, relative to this module as in PyTorch:
        '<path>.<what>' ('fc1.W', 'block.fc1.W'), and '<what>' for its own ('W' of a standalone Linear, whatever
        its name)."""
        return f"{path}.{what}" if path else what

    def named_parameters(self):
        """(name, parameter) pairs of this module and its children, in order, each parameter once.

        Names are the parameters' own (``fc1.W``) for a flat network, qualified by the containers around them
        (``block.fc1.W``) for nested ones, as ``state_dict()`` keys them.
        """
        out, seen = [], set()
        for path, m in self.named_modules():
            for what, p in m._params.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    out.append((self._key(path, m, what), p))
        return out

    def parameters(self):
        """The trainable leaves, in order (what an optimizer takes)."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self):
        """Clear the parameters' gradients."""
        for p in self.parameters():
            p.grad = None

    def named_buffers(self):
        """(name, array) pairs of the state that is not trained (batch norm's running averages), keyed as
        ``named_parameters``."""
        return [(self._key(path, m, what), b) for path, m in self.named_modules() for what, b in m._buffers.items()]

    # ---------------------------------------------------------------- modes
    def train(self, mode=True):
        """Training mode (batch statistics, dropout on) for this module, its children and the nodes they recorded.

        A recorded node switches from its next computation (``graph.run``, the trainer, stepping); until then its
        gradient stays that of the mode its value was computed in (see ``gs.nn.set_training``).
        """
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

    def load_state_dict(self, state, strict=True):
        """Copy values from a state_dict into the parameters and buffers (in place; names and shapes checked).

        ``strict=False`` loads the names both hold and leaves the others as they are. Either way it returns
        ``(missing_keys, unexpected_keys)`` as PyTorch does: what the module has that `state` lacks, and the reverse.
        """
        if not isinstance(state, Mapping):
            raise GraphscopeError(f"load_state_dict: state must be a dict of names to arrays (what state_dict() "
                                  f"returns), got {type(state).__name__} {state!r:.40}")
        targets = dict(self.named_parameters())
        targets.update(self.named_buffers())
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(set(state) - set(targets))
        if (missing or unexpected) and strict:
            hint = bias_before_batchnorm_hint(unexpected, targets)
            if hint:
                hint += (" To load this state, drop each such bias and subtract it from the running_mean of the "
                         "batch norm after it (" + "; ".join(self._bias_fix(name) for name in unexpected
                                                           if name.endswith(".b") and name[:-2] + ".W" in targets)
                         + "): the outputs stay the same in training and test mode.")
            hint = " ".join(h for h in (hint, torch_keys_hint(self, targets, unexpected)) if h)
            raise GraphscopeError(f"load_state_dict: missing {missing or 'nothing'}, unexpected {unexpected or 'nothing'}"
                                  + (f". {hint}" if hint else "")
                                  + " (load_state_dict(state, strict=False) loads the names both hold)")
        targets = {name: target for name, target in targets.items() if name in state}
        for name, target in targets.items():
            value = _state_array(state[name], name)
            current = target.value if hasattr(target, "value") else target
            if value.shape != np.shape(current):
                raise GraphscopeError(f"load_state_dict: {name} has shape {value.shape}, the module's has "
                                      f"{np.shape(current)}{transposed_hint(name, value.shape, np.shape(current))}")
        for name, target in targets.items():
            value = np.asarray(state[name])
            if hasattr(target, "value"):
                if isinstance(target.value, np.ndarray):
                    np.copyto(target.value, value)
                    changed((target,))  # values computed from the old one are stale (engine.staleness)
                else:
                    target.value = float(value)
            else:
                np.copyto(target, value)
        return IncompatibleKeys(missing, unexpected)

    def _bias_fix(self, bias_name):
        """"state['bn1.running_mean'] -= state.pop('fc1.b')" for the bias of the Linear before batch norm bn1."""
        after = self._running_mean_after(bias_name)
        if after is None:
            return f"state.pop('{bias_name}')"
        return f"state['{after}'] -= state.pop('{bias_name}')"

    def _running_mean_after(self, bias_name):
        """The state_dict key of the running mean of the batch norm right after the layer whose bias would be
        `bias_name` ('bn1.running_mean' for 'fc1.b'), or None."""
        after = None
        paths = {id(m): path for path, m in self.named_modules()}
        for m in self.modules():
            kids = m._children
            for a, b in zip(kids, kids[1:]):
                if self._key(paths[id(a)], a, "b") == bias_name and "running_mean" in b._buffers:
                    after = self._key(paths[id(b)], b, "running_mean")
        return after

    # ---------------------------------------------------------------- display
    def extra_repr(self):
        """The arguments shown inside ``repr(module)``'s parentheses (override it to describe a layer)."""
        return ""

    def __repr__(self):
        head = f"{type(self).__name__}({self.extra_repr()})"
        if self._name is not None:
            head = f"{self._name}: {head}"
        if not self._children:
            return head
        inner = "\n".join("  " + line for c in self._children for line in repr(c).splitlines())
        return f"{head[:-1]}\n{inner}\n)"


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict found the module had and the state lacked (missing), and the reverse (unexpected)."""

    __slots__ = ()


def _state_array(value, name):
    """A state_dict entry as a real numeric array, or a GraphscopeError naming the entry."""
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as exc:
        raise GraphscopeError(f"load_state_dict: {name} is not an array of numbers ({exc})") from None
    if array.dtype.kind not in "fiub":
        raise GraphscopeError(f"load_state_dict: {name} must hold real numbers, got {type(value).__name__} of "
                              f"dtype {array.dtype}")
    return array


def _holds_modules(value):
    """True for a plain list, tuple or dict holding gs.nn modules (which PyTorch users keep in a ModuleList)."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else ()
    return any(isinstance(v, Module) for v in items)


def _no_init_message(module, doing):
    cls = type(module).__name__
    return (f"{cls}.__init__ must call super().__init__() first, before {doing}: it sets up the registries of "
            f"layers and parameters (class {cls}(gs.nn.Module): def __init__(self): super().__init__(); ...)")


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


class _Container(Module):
    """Modules kept in order; unnamed children are named by kind and position (fc1, relu1, fc2, ...)."""

    def __init__(self, modules=(), name=None):
        super().__init__(name)
        self._counts = {}
        for m in modules:
            self.append(m)

    def append(self, module):
        """Add a module at the end (named by kind and position when it has no name of its own); return self."""
        kind = type(self).__name__
        if not isinstance(module, Module):
            raise GraphscopeError(f"{kind} takes gs.nn modules, got {type(module).__name__}")
        if any(m is module for m in self._children):
            raise GraphscopeError(f"{kind}: {module.name or type(module).__name__} is in it already")
        self._counts[module.prefix] = self._counts.get(module.prefix, 0) + 1
        if module._auto_named or module.name is None or module.name == module.prefix:
            module.name = f"{module.prefix}{self._counts[module.prefix]}"
        if any(m.name == module.name for m in self._children):
            raise GraphscopeError(f"{kind}: two layers share the name(s) {module.name}")
        module._requalify_inner(None, module.name)   # a block's layers: 'block1.fc1.W', as state_dict keys them
        self._children.append(module)
        return self

    def extend(self, modules):
        """Append each of `modules`; return self."""
        for m in modules:
            self.append(m)
        return self

    def __getitem__(self, i):
        if isinstance(i, str):
            return super().__getitem__(i)
        try:
            return self._children[i]
        except (IndexError, TypeError):
            raise PositionError(f"{type(self).__name__}[{i!r}]: there are {len(self._children)} layers "
                                f"(0..{len(self._children) - 1}), or look one up by name") from None

    def __len__(self):
        return len(self._children)

    def __iter__(self):
        return iter(self._children)


class Sequential(_Container):
    """Modules applied one after another; unnamed children are named by kind and position (fc1, relu1, fc2, ...)."""

    prefix = "seq"

    def __init__(self, *modules, name=None):
        super().__init__(modules, name)

    def forward(self, x):
        """Each module applied to the previous one's output."""
        for m in self._children:
            x = m(x)
        return x


class ModuleList(_Container):
    """A list of modules whose parameters, state and modes belong to the module holding it (PyTorch's ModuleList).

    ``self.blocks = gs.nn.ModuleList([gs.nn.Linear(4, 4) for _ in range(3)])`` registers fc1, fc2, fc3 (named by
    kind and position, as in Sequential); ``forward`` calls them as it likes (``for layer in self.blocks``).
    Its layers record in their own scopes (fc1, ...) when the parent calls them; their parameters are named, and
    state_dict() keys them, under the list's name (``blocks.fc1.W``).
    """

    prefix = "list"

    def __init__(self, modules=(), name=None):
        super().__init__(modules, name)

    def forward(self, *inputs):
        """A ModuleList is not called: its parent's forward calls its layers."""
        raise GraphscopeError("a ModuleList is not called: loop over it in forward (for layer in self.layers: "
                              "x = layer(x)), or use gs.nn.Sequential to apply its layers in order")
