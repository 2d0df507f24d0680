"""The self-contained HTML step-player: every step's SVG inlined, buttons, slider, keys, a side panel.

The page needs no network and loads no external script, so it can be put
on a course page or opened from disk.
"""
import json
import os
import re
from html import escape

import numpy as np

from ..engine.source import shared_location
from ..stepper import explain
from ..stepper.notation import drawn, value_line, value_lines, written_out
from . import theme
from .dot import drawn_looks, legend_keys, mark_shown
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


#: The legend key of the mark of a non-finite origin (or of a failed VJP) among a step's looks.
MARK = "origin"


def legend_html(keys, origin=False):
    """The page's colour key: one swatch per look in `keys`, coloured as the pictures are (viz.theme), and
    with `origin` the mark of the node that made the first non-finite value (or, a text, of the node whose VJP
    failed, in these words). Each entry names its look (``data-look``): the page shows at each step only the
    entries of the looks that step's picture draws (``step_looks``)."""
    spans = []
    for key, words in theme.LEGEND:
        if key in keys:
            look = theme.LOOKS[key]
            style = (f"background: {look.head}; border-color: {look.border}"
                     + ("; border-style: dashed" if look.dashed else ""))
            spans.append(f'<span class="key" data-look="{key}"><i class="sw {key}" style="{style}"></i>'
                         f'{escape(words)}</span>')
    if origin:
        style = f"background: {theme.ORIGIN_HEAD}; border-color: {theme.ORIGIN_BORDER}; border-width: 2px"
        spans.append(f'<span class="key" data-look="{MARK}" style="color: {theme.ORIGIN_INK}">'
                     f'<i class="sw origin" style="{style}"></i>{escape(mark_key(origin))}</span>')
    return "\n  ".join(spans)


def step_looks(picture, state):
    """The legend keys of the looks the picture draws at `state` (MARK when it shows the origin's mark)."""
    keys = legend_keys(*drawn_looks(picture.view, state))
    return keys + [MARK] if mark_shown(picture.view, state, picture.origin(state)) else keys


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
    """{a written-out matrix's one-line text: its rows, columns lined up (notation.value_lines)} for every matrix
    the panels show, one row ones included: the page lays a matrix out by rows as the pictures do, each row on one
    line (the panel scrolls sideways rather than break a row)."""
    rows = {}
    for event in events:
        for value in _shown_values(event):
            lines = [] if value is None else value_lines(value)
            if len(lines) > 1 or (len(lines) == 1 and np.ndim(value) >= 2 and np.size(value) > 1
                                  and written_out(value)):  # a one-row matrix ('[[1, 0, ...]]') keeps its row too
                rows[value_line(value)] = lines
    return rows


def drawn_data(obj):
    """`obj` (the page's JSON data) with every text as the pictures write it (notation.drawn), keys included."""
    if isinstance(obj, str):
        return drawn(obj)
    if isinstance(obj, dict):
        return {drawn_data(k): drawn_data(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [drawn_data(v) for v in obj]
    return obj


def _repeated_names(graph):
    seen, repeated = set(), set()
    for n in graph.nodes:
        (repeated if n.name in seen else seen).add(n.name)
    return repeated


def _phase_counts(st):
    """[(phase, its number of steps)] of the walk's phases that have steps, in the order they run."""
    counts = (("forward", st.n_forward), ("backward", st.n_backward), ("update", st.n_update))
    return [(phase, n) for phase, n in counts if n]


def walk_words(st):
    """'forward then backward', 'forward, backward then update': the phases the page walks through."""
    phases = [phase for phase, _ in _phase_counts(st)]
    return phases[0] if len(phases) == 1 else f"{', '.join(phases[:-1])} then {phases[-1]}"


def step_counts(st):
    """'11 forward + 10 backward + 4 update steps': how many steps each phase takes."""
    counts = _phase_counts(st)
    words = [f"{n} {phase}" for phase, n in counts[:-1]]
    return " + ".join(words + [plural(counts[-1][1], f"{counts[-1][0]} step")])


def player_html(picture, start=0, title=None, progress=None):
    """The page for every step of `picture` (a viz.Picture with a stepper), opening at step `start`;
    `progress(done, total)` hears how the steps' pictures come along."""
    st = picture.ensure_stepper()
    out = st.graph.output
    svgs = picture.step_svgs(progress=progress, fitted=False)  # the page fits them to its pane itself
    item_of, repeated = picture.view.item_of, _repeated_names(st.graph)
    looks = [step_looks(picture, st.at(k)) for k in range(len(st.events))]
    steps = [{"svg": inline_svg(svg), "details": _details(ev, out, picture.view, repeated), "looks": shown,
              "key": item_of[ev.node].key if ev.node in item_of else None}
             for ev, svg, shown in zip(st.events, svgs, looks)]
    data = drawn_data({"steps": steps, "start": start, "interval": PLAY_INTERVAL_MS, "rows": listed_rows(st.events)})
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    title = title or f"{out.name}: {walk_words(st)}"
    broken = st.recording.broken
    subtitle = (f"{plural(len(st.graph.nodes), 'node')}, {step_counts(st)}"
                + (f"; {st.backward_note}" if st.backward_note else "")
                + (f"; the backward pass stopped at {broken.name}: its VJP failed" if broken is not None else ""))
    mark = picture.origin(st.at(0)) if any(MARK in shown for shown in looks) else None
    values = {"CSS": _asset("player.css"), "JS": _asset("player.js"), "TITLE": escape(title),
              "SUBTITLE": escape(subtitle), "VERSION": escape(__version__), "DATA": payload,
              "LEGEND": legend_html(set().union(*looks), mark.legend if mark is not None else False)}
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], _asset("player.html"))
