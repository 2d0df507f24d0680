"""Words in messages: counted nouns and "did you mean" suggestions."""
import difflib
import inspect


def plural(count, noun, nouns=None):
    """'1 node', '3 nodes' ('1 box', '2 boxes' with `nouns` given)."""
    return f"{count} {noun if count == 1 else (nouns or noun + 's')}"


def close_names(word, names, limit=3, aliases=None):
    """The names nearest to a misspelled `word`, best first (none when nothing is near).

    `aliases` maps other spellings people use (lower case) to one of `names`: 'learning_rate' -> 'lr'.
    """
    names = sorted(set(names))
    alias = (aliases or {}).get(word.lower().replace("-", "_"))
    if alias is not None:
        return [alias]
    close = difflib.get_close_matches(word, names, n=limit, cutoff=0.6)
    close.sort(key=lambda n: (-difflib.SequenceMatcher(None, word, n).ratio(), n))
    lowered = {n.lower(): n for n in names}
    if not close and word.lower() in lowered:
        close = [lowered[word.lower()]]
    if not close:
        close = [n for n in names if word and word in n][:limit]
    return close


def did_you_mean(word, names, aliases=None):
    """'; did you mean h1 or h2?' for a misspelled `word` among `names` ('' when nothing is near)."""
    close = close_names(word, names, aliases=aliases)
    if not close:
        return ""
    shown = [repr(n) for n in close]
    words = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]
    return f"; did you mean {words}?"


def no_attribute(owner, name, names, aliases=None, torch_names=None):
    """The AttributeError for `owner`.`name`, suggesting the nearest of `names` (public ones only).

    `torch_names` maps PyTorch's names that graphscope spells otherwise to what to write instead (a hint, not an
    alias: 'no_grad' -> 'graphscope records every op; ...'); such a name gets that line rather than a guess.
    """
    hint = (torch_names or {}).get(name)
    if hint is not None:
        return AttributeError(f"{owner} has no attribute {name!r} (PyTorch's name); {hint}")
    public = [n for n in names if not n.startswith("_")]
    return AttributeError(f"{owner} has no attribute {name!r}{did_you_mean(name, public, aliases)}")


def suggesting_getattr(namespace, module_name, aliases=None, torch_names=None):
    """A module-level ``__getattr__`` for the module whose globals are `namespace`: a misspelled name gets a
    did-you-mean among the module's public names (read when asked, so names added later count too), a PyTorch
    name in `torch_names` what to write instead (``no_attribute``).

    Names starting with '_' (dunders, private probes such as hasattr(module, '__path__')) get the plain error.
    """
    def __getattr__(name):
        if name.startswith("_"):
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        names = [n for n, v in list(namespace.items()) if not _helper(v)]
        raise no_attribute(f"module {module_name!r}", name, names, aliases, torch_names)
    return __getattr__


def _helper(value):
    """True for what a module imports to do its work (numpy as np, these helpers): not a name to suggest."""
    if inspect.ismodule(value):
        return not value.__name__.startswith("graphscope")
    return getattr(value, "__module__", None) == __name__
