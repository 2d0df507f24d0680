"""Regenerate the README's screenshots of the terminal UI (docs/tui*.svg).

    python -m docs.screenshots         # from the repository root

Each is the TUI run headless at a fixed size on a seeded sample, so the
pictures change only when the TUI does; look at them before committing.
"""
import argparse
import asyncio
import os

from tests.tui_apps import sample_app, tanh_layers_app, training_app, training_finished

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(ROOT, "docs")


async def _step(pilot, n):
    for _ in range(n):
        await pilot.press("right")


async def _train(pilot):
    await pilot.press("r")
    await pilot.pause()
    await training_finished(pilot)


#: file name, the app, terminal size, what to do before the screenshot.
SHOTS = [
    ("tui.svg", lambda: sample_app("two_layer.py"), (110, 32), lambda pilot: _step(pilot, 13)),
    ("tui-layers.svg", lambda: tanh_layers_app("large"), (100, 30), lambda pilot: pilot.press("l", "down")),
    ("tui-training.svg", lambda: training_app(epochs=5), (100, 30), _train),
]


async def shoot(name, make_app, size, before, folder):
    """Run the app headless at `size`, do `before`, and save its screen as folder/name."""
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await before(pilot)
        await pilot.pause()
        app.save_screenshot(name, folder)
    return os.path.join(folder, name)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m docs.screenshots", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=DOCS, help="the folder to write into (default docs)")
    args = parser.parse_args(argv)
    os.chdir(ROOT)  # the samples' paths on screen read 'samples/x.py'
    for name, make_app, size, before in SHOTS:
        print(asyncio.run(shoot(name, make_app, size, before, args.out)))


if __name__ == "__main__":
    main()
