"""The self-contained HTML step-player: every step's SVG inlined, buttons, slider, keys, a side panel.

The page needs no network and loads no external script, so it can be put
on a course page or opened from disk.
"""
import json
import os
import re
from html import escape

import numpy as np

from ..engine.formatting import summarize_value, value_lines
from ..engine.source import shared_location
from ..stepper import explain
from . import theme
from .dot import legend_keys
from .html_labels import mark_key
from .step_texts import fold_block_text
from .view import FOLD
from ..version import __version__
from ..engine.words import plural

HERE = os.path.dirname(os.path.abspath(__file__))
#: Milliseconds between steps when playing.
PLAY_INTERVAL_MS = 900

_PLACEHOLDER = re.compile(r"\{\{([A-Z]+)\}\}")
_XML_PROLOGUE = re.compile(r"^\s*<\?xml[^>]*\?>\s*(<!DOCTYPE[^>]*>\s*)?(<!--.*?-->\s*)*", re.S)


def _asset(name):
    with open(os.path.join(HERE, name), encoding="utf-8") as fh:
        return fh.read()


def inline_svg(svg):
    """An SVG document as an element to put inside HTML (no XML prologue, doctype or comments before it)."""
    return _XML_PROLOGUE.sub("", svg, count=1)


def legend_html(keys, origin=False):
    """The page's colour key: one swatch per look in `keys`, coloured as the pictures are (viz.theme), and
    with `origin` the mark of the node that made the first non-finite value (or, a text, of the node whose VJP
    failed, in these words)."""
    spans = []
    for key, words in theme.LEGEND:
        if key in keys:
            look = theme.LOOKS[key]
            style = (f"background: {look.head}; border-color: {look.border}"
                     + ("; border-style: dashed" if look.dashed else ""))
            spans.append(f'<span class="key"><i class="sw {key}" style="{style}"></i>{escape(words)}</span>')
    if origin:
        style = f"background: {theme.ORIGIN_HEAD}; border-color: {theme.ORIGIN_BORDER}; border-width: 2px"
        spans.append(f'<span class="key" style="color: {theme.ORIGIN_INK}"><i class="sw origin" style="{style}"></i>'
                     f'{escape(mark_key(origin))}</span>')
    return "\n  ".join(spans)


def _details(event, output, view, repeated):
    """The side panel's numbers of a step: the title without its value (the panel shows it just under, a matrix
    by rows), the source line as shared files show it (never absolute), a name that several nodes share with its
    scope ('block8/W'), and the block of a folded run the node is in."""
    node = event.node
    info = explain.details(event, output)
    info["title"] = explain.heading(event, output)
    info["source"] = shared_location(node.source)
    if getattr(event, "error", None) is not None:
        info.update(explain.failure(event, output, shared=True))
    if node.name in repeated and node.scope:
        info["node"] = f"{node.scope}/{node.name}"
    item = view.item_of.get(node)
    if item is not None and item.kind == FOLD:
        info["block"] = fold_block_text(item, node)
    return info


def _shown_values(event):
    """The arrays a step's panel shows: its value or upstream; per edge the local matrix, the contribution and
    the input's gradient; an update's gradient, optimizer state, step and values."""
    values = [getattr(event, name, None) for name in ("value", "upstream", "grad", "delta", "value_before",
                                                      "value_after")]
    for states in (getattr(event, "state_before", None), getattr(event, "state_after", None)):
        values += list((states or {}).values())
    for edge in getattr(event, "edges", None) or ():
        if edge.needs_grad:
            local = edge.local_matrix()
            values += [edge.contribution, edge.accumulated, None if local is None else np.asarray(local, np.float64)]
    return values


def listed_rows(events):
    """{a listed matrix's one-line text: its rows, columns lined up (formatting.value_lines)} for every matrix the
    panels show: the page lays a matrix out by rows as the pictures do."""
    rows = {}
    for event in events:
        for value in _shown_values(event):
            lines = [] if value is None else value_lines(value)
            if len(lines) > 1:
                rows[summarize_value(value)] = lines
    return rows


def _repeated_names(graph):
    seen, repeated = set(), set()
    for n in graph.nodes:
        (repeated if n.name in seen else seen).add(n.name)
    return repeated


def player_html(picture, start=0, title=None):
    """The page for every step of `picture` (a viz.Picture with a stepper), opening at step `start`."""
    st = picture.ensure_stepper()
    out = st.graph.output
    svgs = picture.step_svgs()
    item_of, repeated = picture.view.item_of, _repeated_names(st.graph)
    steps = [{"svg": inline_svg(svg), "details": _details(ev, out, picture.view, repeated),
              "key": item_of[ev.node].key if ev.node in item_of else None} for ev, svg in zip(st.events, svgs)]
    data = {"steps": steps, "start": start, "interval": PLAY_INTERVAL_MS, "rows": listed_rows(st.events)}
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    title = title or f"{out.name}: forward then backward"
    broken = st.recording.broken
    subtitle = (f"{plural(len(st.graph.nodes), 'node')}, {st.n_forward} forward + "
                f"{plural(st.n_backward, 'backward step')}"
                + (f"; {st.backward_note}" if st.backward_note else "")
                + (f"; the backward pass stopped at {broken.name}: its VJP failed" if broken is not None else ""))
    mark = picture.origin(st.at(0))
    values = {"CSS": _asset("player.css"), "JS": _asset("player.js"), "TITLE": escape(title),
              "SUBTITLE": escape(subtitle), "VERSION": escape(__version__), "DATA": payload,
              "LEGEND": legend_html(legend_keys(picture.view, st.at(0)), mark.legend if mark is not None else False)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("player.html"))
