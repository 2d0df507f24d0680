"""Regenerate the gallery: every sample's finished graph as an SVG in docs/gallery/, and the README's picture.

    python -m docs.gallery             # from the repository root
    python -m docs.gallery --png DIR   # also PNGs (150 dpi), to look at; prints each picture's size and ratio

Into docs/gallery/ it also rewrites the README's line of the pictures' shapes (between RATIOS_BEGIN and
RATIOS_END), measured from the SVGs it wrote.

Run from the repository root, so the source lines in the pictures' tooltips
read 'samples/x.py:12'.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GALLERY = os.path.join(ROOT, "docs", "gallery")
#: The README's opening picture: the lecture's example at step 7 (the add node gets upstream gradient -4).
HERO = ("chain_rule", 7, os.path.join(ROOT, "docs", "chain-rule-step7.svg"))
README = os.path.join(ROOT, "README.md")
#: The README's line of the pictures' shapes sits between these markers; main() rewrites it from the SVGs.
RATIOS_BEGIN = "<!-- gallery ratios: written by python -m docs.gallery -->"
RATIOS_END = "<!-- /gallery ratios -->"


def samples():
    """Every sample's name and file, in name order (_*.py files are the samples' shared helpers, not samples)."""
    paths = sorted(glob.glob(os.path.join(ROOT, "samples", "*.py")))
    return [(os.path.splitext(os.path.basename(p))[0], p) for p in paths if not os.path.basename(p).startswith("_")]


def size_of(svg):
    m = re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg)
    return float(m.group(1)), float(m.group(2))


def export(path, out, *options):
    """`graphscope export PATH -o OUT OPTIONS` in a process of its own: the picture a user gets, node names
    included (they count a process's nodes: drawn in one process, later samples would be matmul_280)."""
    cmd = [sys.executable, "-m", "graphscope", "export", path, "-o", out, *options]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")


def draw(name, path, args):
    svg_path = os.path.join(args.out, f"{name}.svg")
    export(path, svg_path)
    if args.png:
        export(path, os.path.join(args.png, f"{name}.png"))
    with open(svg_path, encoding="utf-8") as f:
        width, height = size_of(f.read())
    return f"{name:16} {width:6.0f} x {height:5.0f} pt   {width / height:5.2f}:1"


def ratios_text(folder=GALLERY):
    """The README's line of every gallery picture's shape, width:height as drawn, measured from its SVG."""
    parts = []
    for path in sorted(glob.glob(os.path.join(folder, "*.svg"))):
        with open(path, encoding="utf-8") as f:
            width, height = size_of(f.read())
        parts.append(f"`{os.path.splitext(os.path.basename(path))[0]}` {width / height:.1f}:1")
    return "Their shapes (width:height, as drawn): " + ", ".join(parts) + "."


def with_ratios(readme_text, line):
    """The README's text with `line` between the ratio markers."""
    head, rest = readme_text.split(RATIOS_BEGIN, 1)
    _, tail = rest.split(RATIOS_END, 1)
    return f"{head}{RATIOS_BEGIN}\n{line}\n{RATIOS_END}{tail}"


def write_ratios(folder=GALLERY, readme=README):
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    new = with_ratios(text, ratios_text(folder))
    if new != text:
        with open(readme, "w", encoding="utf-8") as f:
            f.write(new)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m docs.gallery", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=GALLERY, help="the folder of SVGs (default docs/gallery)")
    parser.add_argument("--png", metavar="DIR", help="also write each picture as PNG into DIR")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    if args.png:
        os.makedirs(args.png, exist_ok=True)
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for line in pool.map(lambda sample: draw(*sample, args), samples()):
            print(line)
    name, step, target = HERO
    if args.out == GALLERY:
        export(os.path.join(ROOT, "samples", f"{name}.py"), target, "--step", str(step))
        write_ratios()
    return 0


if __name__ == "__main__":
    sys.exit(main())
