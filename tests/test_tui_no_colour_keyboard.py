"""The TUI without colour and by keyboard alone: a list's highlighted entry, the focused pane, every key in help."""
import pytest
from textual.command import CommandList

from tui_apps import sample_app, settle


def filtered_lines(widget):
    """`widget`'s lines through the app's line filters (what the terminal is sent)."""
    filters = widget.app.get_line_filters()
    lines = []
    for y in range(widget.size.height):
        strip = widget.render_line(y)
        for f in filters:
            strip = strip.apply_filter(f, widget.background_colors[1])
        lines.append(strip)
    return lines


def reversed_rows(widget):
    """The rows of `widget` drawn in reverse video (through the app's filters)."""
    return [strip.text.strip() for strip in filtered_lines(widget)
            if any(seg.style and seg.style.reverse for seg in strip if seg.text.strip())]


@pytest.mark.parametrize("key", ["g", "ctrl+p"])
async def test_without_colour_the_highlighted_list_entry_is_in_reverse_video(key):
    app = sample_app("chain_rule.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press(key)
        await pilot.pause(0.3)
        if key == "ctrl+p":
            await pilot.press(*"step")
            await pilot.pause(0.3)
        await pilot.press("down")
        await settle(pilot)
        options = app.screen.query_one(CommandList)
        for strip in filtered_lines(options):  # no colour escape is left
            assert all(seg.style is None or seg.style.bgcolor is None or seg.style.bgcolor.is_default for seg in strip)
        shown = reversed_rows(options)
        highlighted = options.get_option_at_index(options.highlighted).prompt
        assert shown and shown[0] == str(highlighted).splitlines()[0].strip()  # the highlighted entry alone
        await pilot.press("down")
        await settle(pilot)
        assert reversed_rows(options) != shown  # Down moves what the screen shows


def palette_commands(app):
    """The names of the commands ctrl+p lists on the current screen."""
    return [c.title for c in app.get_system_commands(app.screen)]


async def test_the_palette_lists_quit_once_and_the_console_gets_no_emoji():
    from textual.command import SearchIcon

    app = sample_app("chain_rule.py", colours="mono", console=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert palette_commands(app).count("Quit") == 1
        await pilot.press("ctrl+p")
        await pilot.pause(0.3)
        assert app.screen.query(SearchIcon)
        drawn = "\n".join(strip.text for strip in filtered_lines(app.screen.query_one(SearchIcon)))
        assert "🔎" not in drawn and ">" in drawn


def drawn_screen(app):
    """The screen as the terminal gets it (the app's line filters applied): each row's (text, reverse) runs."""
    filters = app.get_line_filters()
    rows = []
    for strip in app.screen._compositor.render_strips():
        for f in filters:
            strip = strip.apply_filter(f, app.screen.background_colors[1])
        rows.append(tuple((seg.text, bool(seg.style and seg.style.reverse)) for seg in strip))
    return rows


@pytest.mark.parametrize("colours", ["mono", "ansi"])
async def test_without_colour_each_focused_pane_looks_different_and_can_be_maximized(colours):
    app = sample_app("chain_rule.py", colours=colours)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("n", "n")
        await settle(pilot)
        screens, focused = [], []
        for _ in range(3):
            await pilot.press("tab")
            await settle(pilot)
            focused.append(app.screen.focused.id)
            screens.append(tuple(drawn_screen(app)[:-1]))  # the footer row left out: the panes alone tell it
            assert "Maximize" in palette_commands(app), app.screen.focused
        assert sorted(focused) == ["graph", "inspector", "tape"]
        assert len(set(screens)) == 3


def help_rows(app):
    """The help screen's key rows as drawn (the lines after 'Keys')."""
    from graphscope.tui.screens.help import HelpText
    text = app.screen.query_one(HelpText)
    lines = [text.render_line(y).text.rstrip() for y in range(text.size.height)]
    return lines[next(k for k, line in enumerate(lines) if line.startswith("Keys")) + 1:]


async def test_the_main_screens_help_lists_every_key_in_one_column():
    from graphscope.tui.screens.help import KEY_COLUMN
    app = sample_app("chain_rule.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        rows = help_rows(app)
        keys = [row.split("  ")[1].strip() for row in rows if row.startswith("  ") and not row.startswith("   ")]
        for wanted in ("up, down", "shift+left, shift+right", "escape", "ctrl+c", "w", "tab"):
            assert wanted in keys, (wanted, keys)
        words_at = KEY_COLUMN + 3
        for row in rows:  # every row's words start in one column (a key too long for it stands on its own line)
            if row.strip() and row.strip() not in keys:
                assert row[:words_at].strip() in ("", *keys) and row[words_at] != " ", row
        w_row = next(row for row in rows if row.startswith("  w "))
        assert w_row[words_at:].startswith("hide or show the inspector"), w_row


@pytest.mark.parametrize("screen_key, shown", [("l", ["up", "down", "escape, l", "ctrl+c"]),
                                               ("r", ["space", "x", "escape", "ctrl+c"])])
async def test_help_on_the_layer_and_training_screens_lists_their_keys(screen_key, shown):
    from graphscope.tui.screens.help import HelpScreen
    from graphscope.tui.screens.training import TrainingScreen
    from tui_apps import training_app
    app = training_app(epochs=1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("l" if screen_key == "l" else "r")
        await pilot.pause(0.3)
        if isinstance(app.screen, TrainingScreen):
            await pilot.press("x", "space")  # stopped (nothing keeps running under the help)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        keys = [row[2:].split("  ")[0] for row in help_rows(app) if row.startswith("  ") and row[2] != " "]
        for key in shown:
            assert key in keys, (key, keys)
        assert "s" not in keys  # s exports an SVG on the main screen; here nothing
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


# ---------------------------------------------------------------- predict mode's box and notice
@pytest.mark.parametrize("width, rows", [(11, 7), (12, 6), (16, 4)])
def test_a_notice_cut_to_its_rows_never_cuts_inside_an_index(width, rows):
    from graphscope.tui.widgets.text_fit import cut_to_rows
    text = "step 42 asks the local gradient dswish_21[5, 15] then each backward step asks one number to guess"
    cut = cut_to_rows(text, width, rows, "(n until step 42)")
    assert "[5," not in cut or "[5, 15]" in cut, cut


async def test_the_predict_box_wraps_why_an_answer_is_refused_and_says_escape_skips():
    from tui_apps import screen_lines
    app = sample_app("wrong_backward.py", colours="mono", console=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t", "f", "n")
        await settle(pilot)
        await pilot.pause(0.2)
        await pilot.press(*"abc", "enter")
        await settle(pilot)
        box = " ".join(" ".join(line.split("│")[0].strip("█ ") for line in screen_lines(app)).split())
        assert "(type one like 0.25 or -1.5e-3)" in box, box
        assert "Escape skips the question" in box, box


# ---------------------------------------------------------------- where s and Screenshot write
async def test_s_and_screenshot_write_into_graphscope_out_and_say_where(tmp_path, monkeypatch):
    out = tmp_path / "pictures"
    out.mkdir()
    monkeypatch.setenv("GRAPHSCOPE_OUT", str(out))
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("n", "n", "s")
        await settle(pilot)
        (note,) = app._notifications
        assert note.message == str(out / "graphscope-step2-q.svg") and (out / "graphscope-step2-q.svg").exists()
        (shot,) = [c for c in app.get_system_commands(app.screen) if c.title == "Screenshot"]
        shot.callback()
        await settle(pilot)
        (note,) = app._notifications
        (saved,) = out.glob("graphscope-screen-*.svg")
        assert note.title == "screenshot saved" and note.message == str(saved) and "<svg" in saved.read_text()


async def test_a_folder_that_takes_no_files_falls_back_to_the_temporary_one_and_says_why(tmp_path, monkeypatch):
    import tempfile
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    fallback = tmp_path / "tmp"
    fallback.mkdir()
    monkeypatch.setenv("GRAPHSCOPE_OUT", str(blocked))
    monkeypatch.setattr(tempfile, "tempdir", str(fallback))
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(100, 30), notifications=True) as pilot:
        await pilot.press("n", "n", "s")
        await settle(pilot)
        (note,) = app._notifications
    assert (fallback / "graphscope-step2-q.svg").exists()
    assert str(fallback / "graphscope-step2-q.svg") in note.message
    assert str(blocked) in note.message and "GRAPHSCOPE_OUT" in note.message


async def test_without_dot_the_tui_says_how_to_install_it(tmp_path, monkeypatch):
    from graphscope.viz.render import install_advice
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    monkeypatch.chdir(tmp_path)
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await settle(pilot)
        (layout,) = app._notifications
        await pilot.press("n", "n", "s")
        await settle(pilot)
        (export,) = app._notifications
    assert install_advice() in layout.message and "plain columns" in layout.message
    assert install_advice() in export.message and (tmp_path / "graphscope-step2-q.dot").exists()


# ---------------------------------------------------------------- the tape's mark for a NaN's origin
@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the sample's log(0) is warned about where it is made
async def test_the_tape_marks_the_node_that_made_the_first_nan_with_a_bang():
    from graphscope.tui.widgets.tape import Tape
    from graphscope.tui.widgets.tape_layout import MARKS_KEY
    app = sample_app("nan_origin.py", colours="mono")
    async with app.run_test(size=(80, 24)) as pilot:
        tape = app.screen.query_one(Tape)
        await settle(pilot)
        await pilot.pause(0.2)

        def rows():  # op -> its row's mark, as drawn (auto names carry global ids: found by op)
            lines = [strip.text for strip in filtered_lines(tape)[1:]]
            return {node.op: lines[k][0] for k, node in enumerate(tape.nodes) if node.op in ("log", "getitem")}

        assert rows()["log"] == "·"  # not computed yet: nothing made
        await pilot.press("f")
        await settle(pilot)
        marks = rows()
        assert marks["log"] == "!" and marks["getitem"] == "✓"  # the origin, not what inherited its NaN
        await pilot.press("n", "n", "n")
        await settle(pilot)
        assert rows()["log"] == "!"  # backward too: its value is still the NaN it made
    assert "! made the first NaN or infinity" in MARKS_KEY


async def test_the_plain_layout_notice_stays_long_enough_to_be_read(tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    app = sample_app("chain_rule.py")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await settle(pilot)
        (layout,) = app._notifications
    assert "plain columns" in layout.message and layout.timeout >= 20
