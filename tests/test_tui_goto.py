"""Go to a node (g): nodes that share a name are listed by their scope paths ('block3/W  (param)'), and typing a
scope's name or a path finds them."""
import os
import time

from textual.command import CommandList, CommandPalette

from graphscope.tui import GraphscopeApp
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SIZE = (100, 30)


def deep_mlp_app():
    path = os.path.join(SAMPLES, "deep_mlp.py")
    app = GraphscopeApp(load_graph_file(path), "deep_mlp.py", path)
    app.cursor_blink = False
    return app


def status(app):
    return str(app.screen.query_one("#status").render())


async def listed(pilot, timeout=10.0):
    """The go-to list's rows once the palette has searched (it searches in the background)."""
    start = time.monotonic()
    while True:
        await pilot.pause(0.05)
        if isinstance(pilot.app.screen, CommandPalette):
            rows = pilot.app.screen.query_one(CommandList)
            if rows.option_count:
                return [str(rows.get_option_at_index(k).prompt) for k in range(rows.option_count)]
        assert time.monotonic() - start < timeout, "the go-to list stayed empty"


def test_nodes_that_share_a_name_are_told_apart_by_their_scope_paths():
    session = deep_mlp_app().session
    labels = [label for label, node in session.node_choices() if node.name == "W"]
    assert len(labels) == 10  # input, block1 .. block8, output
    assert len(set(labels)) == len(labels)
    assert "block3/W  (param)" in labels and "input/W  (param)" in labels
    loss = next(label for label, node in session.node_choices() if node is session.output)
    assert loss == "loss  (softmax_cross_entropy)"  # at the top level: its name alone


async def test_typing_a_scope_finds_its_nodes_and_enter_goes_to_the_first():
    app = deep_mlp_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g")
        assert (await listed(pilot))[:2] == ["X  (input)", "input/W  (param)"]
        await pilot.press(*"block3")
        rows = await listed(pilot)
        assert rows[:2] == ["block3/W  (param)", "block3/b  (param)"]
        await pilot.press("enter")
        await pilot.pause()
        node = app.session.node
        assert (node.name, node.scope) == ("W", "block3")
        assert " · W · block3 · " in status(app)


async def test_a_scope_path_goes_to_that_node():
    app = deep_mlp_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *"block8/b")
        assert (await listed(pilot))[0] == "block8/b  (param)"
        await pilot.press("enter")
        await pilot.pause()
        assert (app.session.node.name, app.session.node.scope) == ("b", "block8")


async def test_typing_a_scope_lists_only_that_scopes_nodes_and_other_text_is_still_fuzzy():
    app = deep_mlp_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("g", *"block3")
        rows = await listed(pilot)
        assert rows and all(row.startswith("block3/") for row in rows), rows
        assert len(rows) == sum(1 for label, _ in app.session.node_choices() if label.startswith("block3/"))
        await pilot.press(*["backspace"] * 6, *"blk3W")  # held by no label: the fuzzy match finds it
        await pilot.pause(0.3)
        assert "block3/W  (param)" in await listed(pilot)
