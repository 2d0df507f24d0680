"""Reading untrusted files within bounds: zip members, JSON and .npy arrays.

Graph files and checkpoints come from anywhere. Everything here checks what
a file declares (compression method, encryption, sizes, nesting, digits)
against what is possible before reading or allocating, and raises
``UnsafeFile`` with one readable reason; callers put the file's name in front.
"""
import json
import zipfile
import zlib

import numpy as np

#: Compression methods Python's zipfile reads without optional modules.
READABLE_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}
METHOD_NAMES = {9: "Deflate64", 12: "bzip2", 14: "LZMA", 93: "Zstandard", 95: "XZ", 98: "PPMd", 99: "AES"}
#: Deflate cannot shrink data more than about 1032:1; a member declaring more is lying (or a zip bomb).
MAX_DEFLATE_RATIO = 1100
#: Containers nested deeper than this in a JSON document are refused (graph files nest about 6 deep).
MAX_JSON_DEPTH = 64
#: Integers in a JSON document: none that graphscope writes needs more (ids, shapes, axes, lines).
MAX_INT_DIGITS = 30
#: What can go wrong inside zipfile and zlib on damaged data.
ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError,
              OverflowError, IndexError, KeyError, TypeError, UnicodeDecodeError)
#: bytes.translate table writing every digit as 0: runs of digits become runs of zeros, found with bytes.find.
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")


class UnsafeFile(ValueError):
    """A file (or a member of it) that cannot be read safely: the message says why."""


def check_member(info, archive_size):
    """Refuse a zip member that zipfile cannot read or whose declared size is impossible."""
    if info.flag_bits & 0x1:
        raise UnsafeFile(f"{info.filename} is encrypted (graphscope files are never encrypted)")
    if info.compress_type not in READABLE_METHODS:
        method = METHOD_NAMES.get(info.compress_type, f"method {info.compress_type}")
        raise UnsafeFile(f"{info.filename} is compressed with {method}, which graphscope cannot read: "
                         f"re-create the archive with plain deflate (zip -Z deflate) or save the graph again")
    if info.compress_size > archive_size:
        raise UnsafeFile(f"{info.filename} declares {info.compress_size} compressed bytes, more than the "
                         f"{archive_size}-byte file holds (truncated or damaged)")
    limit = info.compress_size if info.compress_type == zipfile.ZIP_STORED else \
        info.compress_size * MAX_DEFLATE_RATIO + 1024
    if info.file_size > limit:
        raise UnsafeFile(f"{info.filename} declares {info.file_size} bytes, more than its {info.compress_size} "
                         f"stored bytes can hold (damaged, or a zip bomb)")


def read_member(z, name, archive_size):
    """The bytes of member `name` of the open ZipFile `z`, after check_member; UnsafeFile when damaged."""
    info = z.getinfo(name)
    check_member(info, archive_size)
    try:
        with z.open(info) as f:
            data = f.read(info.file_size + 1)
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"{name} is damaged or truncated ({describe(exc)})") from None
    if len(data) != info.file_size:
        raise UnsafeFile(f"{name} holds {len(data)} bytes but declares {info.file_size} (damaged)")
    return data


def parse_json(raw, what, max_int_digits=MAX_INT_DIGITS, kind="graph files"):
    """The JSON document in `raw` (bytes), refusing very deep nesting and integers with very many digits."""
    def parse_int(text):  # JSON integers reach here as text: a long one is never converted
        digits = len(text.lstrip("-"))
        if digits > max_int_digits:
            raise UnsafeFile(f"{what} holds an integer with {digits} digits; {kind} hold no integer "
                             f"longer than {max_int_digits} digits")
        return int(text)

    # Checking every integer costs a Python call each (a third of the parse for a big graph): do it only
    # when the bytes hold a run of digits that long at all (in a number, or harmlessly in a string).
    long_digits = raw.translate(_DIGITS_AS_ZERO).find(b"0" * (max_int_digits + 1)) >= 0
    try:
        doc = json.loads(raw.decode("utf-8"), parse_int=parse_int if long_digits else None)
    except UnsafeFile:
        raise
    except RecursionError:
        raise UnsafeFile(f"{what} is nested too deeply to be one of {kind}") from None
    except (UnicodeDecodeError, ValueError) as exc:  # JSONDecodeError is a ValueError
        raise UnsafeFile(f"{what} is not valid JSON ({describe(exc)})") from None
    _check_depth(doc, what, kind)
    return doc


def _check_depth(doc, what, kind="graph files"):
    """Walk the document level by level, without recursion; refuse containers nested deeper than MAX_JSON_DEPTH.

    Only containers are visited (JSON gives dicts and lists, nothing derived from them), so a big graph's
    numbers and strings cost one type test each.
    """
    level = [doc] if doc.__class__ in (dict, list) else []
    depth = 0
    while level:
        depth += 1
        if depth > MAX_JSON_DEPTH:
            raise UnsafeFile(f"{what} nests lists and objects more than {MAX_JSON_DEPTH} deep; "
                             f"{kind} nest a few levels only")
        items = []
        for container in level:
            items.extend(container.values() if container.__class__ is dict else container)
        level = [item for item in items if item.__class__ in (dict, list)]


def check_npy(z, name, archive_size):
    """Read the header of .npy member `name` in the open .npz ZipFile `z`; refuse sizes the member cannot hold.

    Called before numpy loads the array, so a header declaring a huge shape never allocates anything.
    """
    info = z.getinfo(name)
    check_member(info, archive_size)
    try:
        with z.open(info) as f:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, _, dtype = np.lib.format.read_array_header_1_0(f)
            elif version == (2, 0):
                shape, _, dtype = np.lib.format.read_array_header_2_0(f)
            else:
                raise UnsafeFile(f"{name} has .npy format version {version}, which graphscope does not read")
            header = f.tell()
    except UnsafeFile:
        raise
    except ZIP_ERRORS as exc:
        raise UnsafeFile(f"{name} is not a readable .npy array ({describe(exc)})") from None
    if dtype.hasobject:
        raise UnsafeFile(f"{name} holds Python objects; graphscope files hold numbers only, and objects are "
                         f"never unpickled")
    count = 1
    for n in shape:
        count *= n
    needed = count * dtype.itemsize
    if needed > info.file_size - header:
        raise UnsafeFile(f"{name} declares shape {shape} of {dtype} ({needed} bytes), but the member holds "
                         f"{max(info.file_size - header, 0)} bytes of data (damaged)")


def describe(exc, limit=160):
    """A library's error message, short (zipfile quotes whole headers) and without numpy's advice to use pickle."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    if "pickle" in text.lower():
        return "not an .npy array"
    return text if len(text) <= limit else text[:limit - 3] + "..."
