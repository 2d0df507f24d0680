"""Text from a user (a node's name, a title) as it may be shown: control characters written out.

A name holding ESC would recolour the terminal a table is printed to, a NUL or an ESC breaks Graphviz's
labels (which are XML), and a right-to-left override turns a table's columns around. Each such character is
shown as Python writes it in a string (``\\x1b``, ``\\x00``, ``\\t``, ``\\u202e``), so it is seen, not obeyed.
"""
import re

_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}
#: C0 and C1 controls and DEL, the line and paragraph separators, and the bidirectional overrides and isolates.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _written(match):
    ch = match.group(0)
    code = ord(ch)
    return _NAMED.get(ch) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def visible(text, keep=""):
    """`text` with each control character written out (``\\x1b``); those in `keep` (e.g. ``"\\n"``) stay."""
    text = str(text)
    if not _CONTROL.search(text):
        return text
    return _CONTROL.sub(lambda m: m.group(0) if m.group(0) in keep else _written(m), text)


def shortened(text, limit):
    """`text`, cut to `limit` characters with … at the end when longer."""
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + "\u2026"
