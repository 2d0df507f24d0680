"""A PyTorch state_dict given to load_state_dict: which of its keys are which parameters here, and transposed W.

PyTorch names a Linear's parameters ``weight`` (out, in) and ``bias``, batch norm's ``weight`` and ``bias``,
and numbers the layers of an ``nn.Sequential`` (``0.weight``, ``2.weight``); graphscope names them ``W`` (in, out),
``b``, ``gamma``, ``beta`` and ``fc1``, ``fc2``. Each layer class lists its PyTorch names in ``torch_state_names``
(``{"weight": "W.T", "bias": "b"}``: ``.T`` where the arrays are each other's transpose).
"""


def torch_keys_hint(module, targets, unexpected):
    """The state to load instead when `unexpected` keys are PyTorch's names of the module's parameters and
    buffers (`targets`, its state_dict keys), or "".

    The bias of a Linear that has none here (batch norm follows it: gs.nn.MLP(batchnorm=True)) is folded into
    that batch norm's running mean, so the outputs stay the same; keys with no counterpart are named as left out.
    """
    loads, folded, left = {}, {}, []
    for key in unexpected:
        ours = graphscope_key(module, key)
        if ours is not None and ours[0] in targets:
            loads[ours[0]] = f"state[{key!r}]{'.T' if ours[1] else ''}"
            continue
        mean = module._running_mean_after(ours[0]) if ours is not None and ours[0][:-2] + ".W" in targets else None
        if mean is not None:
            folded[mean] = key
        else:
            left.append(key)
    if not loads:
        return ""
    for mean, bias in folded.items():
        if mean in loads:
            loads[mean] += f" - state[{bias!r}]"   # batch norm subtracts the mean: the bias goes with it
    order = {name: i for i, name in enumerate(targets)}
    shown = ", ".join(f"{ours!r}: {value}" for ours, value in sorted(loads.items(), key=lambda kv: order[kv[0]]))
    why = " (a Linear's W is (in, out), PyTorch's weight (out, in) transposed)" if ".T" in shown else ""
    notes = []
    if folded:
        notes.append(f"{', '.join(folded.values())} folded into the running mean of the batch norm after it, as "
                     f"graphscope's Linear before batch norm has no bias")
    if left:
        notes.append(f"{', '.join(left)} left out (nothing here holds {'it' if len(left) == 1 else 'them'})")
    return (f"The state has PyTorch's names{why}: load_state_dict({{{shown}}})"
            + (f" ({'; '.join(notes)})" if notes else "") + ".")


def graphscope_key(module, key):
    """(graphscope's state_dict key, whether the arrays are transposed) for PyTorch's `key` ('0.weight' ->
    ('fc1.W', True) in an MLP), or None when `key` names nothing in `module` that way."""
    *path, leaf = key.split(".")
    current, names = module, []
    for part in path:
        kids = current.children()
        child = next((c for c in kids if c.name == part), None)
        if child is None and part.isdigit() and int(part) < len(kids):
            child = kids[int(part)]   # nn.Sequential numbers its layers: 0, 1, 2, ...
        if child is None or child.name is None:
            return None
        names.append(child.name)
        current = child
    ours = getattr(type(current), "torch_state_names", {}).get(leaf)
    if ours is None:
        return None
    what = ours.removesuffix(".T")
    return ".".join(names + [what]), ours.endswith(".T")


def transposed_hint(name, value_shape, shape):
    """What to load when the array for W has the shape of PyTorch's weight, the transpose, or ""."""
    if len(shape) != 2 or tuple(value_shape) != tuple(shape)[::-1] or name.rsplit(".", 1)[-1] != "W":
        return ""
    return (f": it is the transpose (a Linear's W is (in, out) = {tuple(shape)}, PyTorch's weight (out, in)); "
            f"load state[{name!r}].T")
