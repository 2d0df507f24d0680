"""Op attributes to JSON and back, arrays kept aside for the .npz (see ``arraypack``).

JSON scalars (None, bools, ints, finite floats, strings) are written as they
are; everything else is a one-key object naming its type:

    {"tuple": [...]}   {"list": [...]}   {"dict": {"key": ...}}
    {"slice": [start, stop, step]}        {"ellipsis": null}
    {"float": "nan" | "inf" | "-inf"}
    {"array": REF}     a numpy array kept in the .npz; REF is what the array store handed out
                       ([group, row] in format version 2, a key "a7" in version 1)
    {"scalar": REF}    a numpy scalar (np.int64(3), np.float32(0.5), ...), kept as a 0-d array

That covers every attribute of the built-in ops (axes, shapes, exponents,
bounds, label arrays, where-masks, index tuples with slices, None, Ellipsis,
integer and boolean arrays) and of custom ops built from the same pieces.
"""
import math

import numpy as np


class AttrError(ValueError):
    """An attribute that cannot be written or a malformed encoded attribute."""


def encode(value, store):
    """A JSON-ready form of one attribute value (arrays go to `store`, whose ``put`` returns their reference)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biufc":
            raise AttrError(f"numpy arrays of dtype {value.dtype} cannot be saved (numbers and booleans only)")
        return {"array": store.put(value)}
    if isinstance(value, np.generic):
        if np.asarray(value).dtype.kind not in "biufc":
            raise AttrError(f"numpy scalars of type {type(value).__name__} cannot be saved")
        return {"scalar": store.put(np.asarray(value))}
    if isinstance(value, tuple):
        return {"tuple": [encode(v, store) for v in value]}
    if isinstance(value, list):
        return {"list": [encode(v, store) for v in value]}
    if isinstance(value, slice):
        return {"slice": [encode(value.start, store), encode(value.stop, store), encode(value.step, store)]}
    if value is Ellipsis:
        return {"ellipsis": None}
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise AttrError("dict attributes need string keys")
        return {"dict": {k: encode(v, store) for k, v in value.items()}}
    raise AttrError(f"values of type {type(value).__name__} cannot be saved (supported: None, bool, int, float, "
                    f"str, tuple, list, dict, slice, Ellipsis, numpy arrays and scalars)")


def decode(data, arrays):
    """The attribute value back from its JSON form; `arrays(reference)` returns a stored array (and checks the
    reference)."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        raise AttrError("a bare JSON list is not a valid encoded attribute (lists are {\"list\": [...]})")
    if not isinstance(data, dict) or len(data) != 1:
        raise AttrError(f"an encoded attribute must be a JSON scalar or a one-key object, got {_short(data)}")
    (tag, body), = data.items()
    if tag in ("tuple", "list"):
        items = [decode(v, arrays) for v in _expect(body, list, tag)]
        return tuple(items) if tag == "tuple" else items
    if tag == "dict":
        return {k: decode(v, arrays) for k, v in _expect(body, dict, tag).items()}
    if tag == "slice":
        parts = _expect(body, list, tag)
        if len(parts) != 3:
            raise AttrError(f"a slice needs [start, stop, step], got {_short(parts)}")
        return slice(*(decode(p, arrays) for p in parts))
    if tag == "ellipsis":
        return Ellipsis
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise AttrError(f"a special float must be 'nan', 'inf' or '-inf', got {_short(body)}")
        return float(body)
    if tag == "array":
        return arrays(body)
    if tag == "scalar":
        value = arrays(body)
        if value.ndim != 0:
            raise AttrError(f"scalar attribute {_short(body)} holds an array of shape {value.shape}")
        return value[()]
    raise AttrError(f"unknown attribute type {tag!r}")


def _expect(body, kind, tag):
    if not isinstance(body, kind):
        raise AttrError(f"{tag!r} needs a JSON {kind.__name__}, got {_short(body)}")
    return body


def _short(x):
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
