"""How a graph file keeps its arrays: the member ``arrays.npz``, in the layout of the file's format version.

- version 2, **packed**: arrays of one dtype and one shape are stacked into one
  ``.npy`` member: group g is ``g<g>.npy``, of shape ``(count, *shape)``, and
  the reference ``[g, row]`` (two JSON integers) names one of its rows. A
  scalar graph of 100,000 nodes is one member of 200,000 floats (values and
  gradients), not 200,000 members, so it saves and loads in a second or two.
- version 1, **one array each**: one ``.npy`` member per array, the
  reference being its key: ``"a7"`` is ``a7.npy``. Still read; written only
  when asked for (``save_graph(..., version=1)``).

A writer (``Packed``, ``OneArrayEach``) hands out references while the nodes
are encoded and writes the member at the end (``write``); a reader (``PackedReader``,
``OneArrayEachReader``) resolves a reference from the file into an array,
checking the reference, the member's compression and its ``.npy`` header
against the bytes the member holds before anything is allocated, and raises
``AttrError`` naming the array and what is wrong.
"""
import zipfile

import numpy as np

from .attrcodec import AttrError
from .safeio import ZIP_ERRORS, UnsafeFile, check_npy, describe

MEMBER = "arrays.npz"
_FLOAT64 = np.dtype(np.float64)


# ---------------------------------------------------------------- writing

class Packed:
    """Version 2: collects arrays by (dtype, shape); ``put`` returns ``[group, row]``."""

    def __init__(self):
        self._group_of = {}   # (dtype, shape) -> group number
        self._rows = []       # per group: its arrays (Python floats for 0-d float64 values), in row order
        self._kinds = []      # per group: (dtype, shape)

    def put(self, value):
        """Keep `value` (a Python float, a numpy scalar or an array); its reference for the JSON document."""
        if value.__class__ is float:
            kind = (_FLOAT64, ())
        else:
            value = np.asarray(value)
            kind = (value.dtype, value.shape)
        group = self._group_of.get(kind)
        if group is None:
            group = self._group_of[kind] = len(self._rows)
            self._rows.append([])
            self._kinds.append(kind)
        rows = self._rows[group]
        rows.append(value)
        return [group, len(rows) - 1]

    def write(self, fileobj):
        """Write the .npz: group g as ``g<g>.npy`` of shape (rows, *shape), streamed row by row (never a second
        copy of the arrays in memory)."""
        with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as z:
            for group, ((dtype, shape), rows) in enumerate(zip(self._kinds, self._rows)):
                with z.open(f"g{group}.npy", "w", force_zip64=True) as f:
                    if not shape:  # scalars: one array of them (mostly Python floats)
                        np.lib.format.write_array(f, np.array(rows, dtype=dtype), allow_pickle=False)
                        continue
                    np.lib.format.write_array_header_1_0(f, {"descr": np.lib.format.dtype_to_descr(dtype),
                                                             "fortran_order": False, "shape": (len(rows),) + shape})
                    for row in rows:
                        f.write(np.ascontiguousarray(row).data)


class OneArrayEach:
    """Version 1: one member per array; ``put`` returns its key 'a0', 'a1', ..."""

    def __init__(self):
        self._arrays = {}

    def put(self, value):
        key = f"a{len(self._arrays)}"
        self._arrays[key] = np.asarray(value)
        return key

    def write(self, fileobj):
        """Write the .npz: ``a<k>.npy`` for each array."""
        np.savez(fileobj, **self._arrays)


WRITERS = {1: OneArrayEach, 2: Packed}


# ---------------------------------------------------------------- reading

class _Reader:
    """Arrays of the open ``arrays.npz`` (an ``NpzFile``) of a file of `npz_size` bytes, checked before loading."""

    def __init__(self, npz, npz_size):
        self.npz = npz
        self.npz_size = npz_size
        self.members = set(npz.zip.namelist())
        self.files = set(npz.files)  # npz.files is a list: a lookup in it per array made loading quadratic

    def load(self, key, what):
        """Member ``key + '.npy'`` as an array, its header checked first; `what` names it in messages."""
        if key + ".npy" not in self.members:
            raise AttrError(f"{what} is not stored as an .npy member of {MEMBER}")
        try:
            check_npy(self.npz.zip, key + ".npy", self.npz_size)
            return self.npz[key]
        except UnsafeFile as exc:
            raise AttrError(f"{what}: {exc}") from None
        except ZIP_ERRORS as exc:
            raise AttrError(f"{what} is damaged or truncated ({describe(exc)})") from None


class PackedReader(_Reader):
    """Version 2: resolves ``[group, row]``; each group is checked and loaded once, on first use."""

    def __init__(self, npz, npz_size):
        super().__init__(npz, npz_size)
        self._groups = {}
        self._handed_out = set()

    def __call__(self, ref):
        if ref.__class__ is not list or len(ref) != 2 or ref[0].__class__ is not int or ref[1].__class__ is not int:
            raise AttrError(f"an array reference must be [group, row], two integers; got {_short(ref)}")
        group, row = ref
        stack = self._groups.get(group)
        if stack is None:
            stack = self._groups[group] = self._group(group)
        if not 0 <= row < len(stack):
            raise AttrError(f"array [{group}, {row}]: group {group} (g{group}.npy) holds {len(stack)} "
                            f"arrays, so it has no row {row}")
        # A row is a view of its group (no second copy of the data), except when the file names it again:
        # then a copy, so that no two nodes share an array (as none did when each array was read on its own).
        if (group, row) in self._handed_out:
            return stack[row, ...].copy()
        self._handed_out.add((group, row))
        return stack[row, ...]

    def _group(self, group):
        if f"g{group}" not in self.files:
            raise AttrError(f"array group {group} (g{group}.npy) is missing from {MEMBER}")
        stack = self.load(f"g{group}", f"array group {group}")
        if stack.ndim == 0:
            raise AttrError(f"array group {group} (g{group}.npy) is a single number, not a stack of arrays")
        return stack


class OneArrayEachReader(_Reader):
    """Version 1: resolves a key ``"a7"`` to the member ``a7.npy``."""

    def __call__(self, key):
        if not isinstance(key, str):
            raise AttrError(f"an array reference must be a key string such as 'a7'; got {_short(key)}")
        if key not in self.files:
            raise AttrError(f"array {key!r} is missing from {MEMBER}")
        return self.load(key, f"array {key!r}")


READERS = {1: OneArrayEachReader, 2: PackedReader}


def _short(x):
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
