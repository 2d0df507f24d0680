"""Keys that arrive in one burst (a fast typist, a paste, `tmux send-keys e BSpace ... 1 Enter`) act in the order
they were typed: the box a key opens takes the keys after it, and Backspace is not overtaken by the text typed
after it."""
import os
import time

from textual import events

from graphscope.tui import GraphscopeApp
from graphscope.tui.screens.dialogs import AskDialog, MessageDialog
from graphscope.tui.screens.main import MainScreen
from graphscope.userfile import load_graph_file

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")
SIZE = (100, 30)
#: The characters of the named keys these tests type.
CHARACTERS = {"minus": "-"}


def sample_app(name):
    path = os.path.join(SAMPLES, name)
    app = GraphscopeApp(load_graph_file(path), name, path)
    app.cursor_blink = False
    return app


def burst(app, *keys):
    """Send `keys` as a terminal delivers a burst: all queued at once, none waiting for the one before it
    (Pilot's press waits for the app to settle after each key)."""
    for key in keys:
        event = events.Key(key, CHARACTERS.get(key, key if len(key) == 1 else None))
        event.set_sender(app)
        app._driver.send_message(event)


async def settled(pilot, done, timeout=10.0):
    """Let the app work until `done()` is true."""
    start = time.monotonic()
    while not done():
        assert time.monotonic() - start < timeout, "the keys were never handled"
        await pilot.pause(0.02)
    await pilot.pause()


def x_value(app):
    return app.session.graph.node("x").value


def message(app):
    return str(app.screen.query_one("#dialog-message").render())


async def test_backspace_then_a_number_then_enter_in_one_burst_edits_the_leaf():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")  # at step 0, x = -2: its box opens holding '-2.0'
        assert isinstance(app.screen, AskDialog)
        burst(app, *["backspace"] * 5, "1", "enter")
        await settled(pilot, lambda: not isinstance(app.screen, AskDialog))
        assert not isinstance(app.screen, MessageDialog), message(app)
        assert x_value(app) == 1.0


async def test_the_keys_after_e_in_the_same_burst_land_in_the_box_it_opens():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "e", *["backspace"] * 5, "1", "enter")
        await settled(pilot, lambda: x_value(app) != -2.0 or isinstance(app.screen, MessageDialog))
        assert isinstance(app.screen, MainScreen), message(app)
        assert x_value(app) == 1.0


async def test_editing_keys_in_the_middle_of_typing_act_where_they_were_typed():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("e")
        burst(app, "backspace", "3", "7", "backspace", "5", "left", "left", "minus", "end", ".", "2", "5", "enter")
        await settled(pilot, lambda: not isinstance(app.screen, AskDialog))
        assert x_value(app) == -35.25


async def test_a_path_typed_right_after_g_goes_to_that_node():
    app = sample_app("deep_mlp.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "g", *"block3/W")
        # Enter waits for the box's first matches: Textual's palette drops an Enter that comes before any (a race
        # of its own search, seen under load)
        await settled(pilot, lambda: getattr(app.screen, "_list_visible", False))
        burst(app, "enter")
        await settled(pilot, lambda: app.session.step != 0 and isinstance(app.screen, MainScreen))
        assert (app.session.node.name, app.session.node.scope) == ("W", "block3")


async def test_escape_still_cancels_the_edit():
    app = sample_app("chain_rule.py")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        burst(app, "e", "backspace", "7")
        await settled(pilot, lambda: isinstance(app.screen, AskDialog)
                      and app.screen.query_one("#dialog-input").value == "7")
        burst(app, "escape")  # the box does not bind Escape: it goes on up to the dialog, which cancels
        await settled(pilot, lambda: isinstance(app.screen, MainScreen))
        assert x_value(app) == -2.0


def step(app):
    return app.session.step


async def landed(app, pilot, *keys):
    """Send `keys` from the first step as one burst; the step they land at once the app has handled them all."""
    await pilot.pause()
    await pilot.press("home")
    burst(app, *keys)
    seen = []
    while len(seen) < 4 or len(set(seen[-4:])) > 1 or not app._message_queue.empty():
        await pilot.pause(0.03)  # every key of the burst has been read and handled: the step stays put
        seen.append(step(app))
    return step(app)


async def test_f_and_b_act_in_order_with_the_step_keys_typed_right_after_them():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f")
        forward_end = step(app)
        await pilot.press("b")
        backward_end = step(app)
        assert 2 < forward_end < backward_end
        assert await landed(app, pilot, "f", "n") == forward_end + 1
        assert await landed(app, pilot, "n", "n", "f", "n", "n") == forward_end + 2
        assert await landed(app, pilot, "b", "p") == backward_end - 1
        assert await landed(app, pilot, "end", "p", "p") == backward_end - 2
        assert await landed(app, pilot, "f", "right", "b", "left", "left") == backward_end - 2


async def test_every_key_of_the_main_screen_acts_where_the_app_reads_it():
    """A key that went the ordinary road (to the focused widget, then up) is overtaken by a priority key typed after
    it: so every key the main screen or a pane of it binds is a priority binding, whichever pane has the focus."""
    from graphscope.tui.keys import in_order  # noqa: F401 - the helper the screen and its panes use
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        panes = list(app.screen.focus_chain)
        assert len(panes) == 3  # the graph view, the tape, the inspector
        for pane in panes:
            pane.focus()
            await pilot.pause()
            chain = app.screen._binding_chain
            keys = {key for _, bindings in chain for key in bindings.key_to_bindings}
            ordinary = {key for key in keys
                        if not any(b.priority for _, bindings in chain for b in bindings.key_to_bindings.get(key, ()))}
            assert ordinary <= {"ctrl+c", "super+c"}, (pane, ordinary)  # copy / quit: nothing comes after them




async def test_r_then_x_in_one_burst_stops_the_run_even_before_its_thread_trains(monkeypatch):
    import sys
    import threading
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from tui_apps import training_app, training_finished
    from graphscope.tui.screens.training import TrainingScreen
    from graphscope.tui.training import TrainingRun
    started = threading.Event()  # the training thread waits for it: x is read before the trainer's fit begins
    fit = TrainingRun.fit
    monkeypatch.setattr(TrainingRun, "fit", lambda run: started.wait(10) and fit(run))
    app = training_app(epochs=200, batch_size=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        burst(app, "r", "x")
        await settled(pilot, lambda: isinstance(app.screen, TrainingScreen) and app.screen.run is not None)
        await settled(pilot, lambda: app.screen.stopping)  # x has been read
        started.set()
        await training_finished(pilot)
        run = app.screen.run
        assert run.trainer.history.stopped == "stopped" and run.trainer.epoch == 0, app.screen.figures_text()
        assert "stopped before the first batch" in app.screen.figures_text() and run.trainer.history.loss == []


async def test_the_tape_keys_and_a_step_key_in_one_burst_act_in_order():
    app = sample_app("two_layer.py")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.query_one("#tape").focus()
        chosen = app.screen.query_one("#tape").nodes[3]  # the tape's fourth row
        assert await landed(app, pilot, "down", "down", "down", "enter", "p") == app.session.stepper.find(chosen) - 1
        app.screen.query_one("#graph").focus()
        assert await landed(app, pilot, "n", "enter") == 1  # Enter means nothing to the graph view
