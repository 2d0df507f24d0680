"""The AttributeError of a module's missing attribute: PyTorch's name for it, the way to a layer, or a guess.

- a PyTorch name the module's class lists in ``torch_names`` (``weight`` of a Linear: graphscope's ``W``,
  which is (in, out), PyTorch's weight transposed) gets what to write instead;
- a layer of a container (``mlp.fc1``: Sequential, MLP and ModuleList register their layers by name, not as
  attributes) gets how to reach it, ``mlp['fc1']`` or ``mlp[0]``;
- anything else a did-you-mean among the module's attributes.
"""
from ..engine.words import no_attribute


def missing_attribute(module, attr):
    """The AttributeError for ``module.attr``, which normal lookup did not find."""
    owner = f"{type(module).__name__!r} object"
    hint = torch_hint(module, attr)
    if hint is not None:
        return AttributeError(f"{owner} has no attribute {attr!r} (PyTorch's name); {hint}")
    way = layer_way(module, attr)
    if way is not None:
        return AttributeError(f"{owner} has no attribute {attr!r}: {way}")
    names = set(dir(type(module))) | set(module.__dict__)
    return no_attribute(owner, attr, names)


def torch_hint(module, attr):
    """What to write instead of PyTorch's name `attr`, from the ``torch_names`` of the module's classes, or None."""
    for cls in type(module).__mro__:
        hint = vars(cls).get("torch_names", {}).get(attr)
        if hint is not None:
            return hint(module) if callable(hint) else hint
    return None


def layer_way(module, attr):
    """How to reach the layer(s) named `attr` inside `module` ("write mlp['fc1'] or, by position, mlp[0]"), or
    None when it has none of that name."""
    paths = [(path, m) for path, m in module.named_modules() if path]
    found = [(path, m) for path, m in paths if path.rsplit(".", 1)[-1] == attr]
    if not found:
        return None
    var = type(module).__name__.lower()
    ways = " or ".join(f"{var}[{path!r}]" for path, _ in found)
    direct = [i for i, child in enumerate(module.children()) if child is found[0][1]]
    if len(found) == 1 and direct and hasattr(module, "__len__"):
        ways += f" or, by position, {var}[{direct[0]}]"
    how = (f"{type(module).__name__} keeps its layers by name, not as attributes" if direct else
           f"{attr!r} is a layer inside it")
    return f"{how}: write {ways} (its layers: {', '.join(path for path, _ in paths)})"
