"""The README's shapes of the gallery's pictures are measured from the SVGs in docs/gallery, never typed."""
import os
import re

from docs import gallery


def test_the_readme_gives_each_gallery_pictures_measured_shape():
    with open(gallery.README, encoding="utf-8") as f:
        readme = f.read()
    line = readme.split(gallery.RATIOS_BEGIN, 1)[1].split(gallery.RATIOS_END, 1)[0].strip()
    assert line == gallery.ratios_text()
    assert re.search(r"`vanishing_gradients` \d+\.\d:1", line) and "`two_layer`" in line


def test_the_ratio_line_is_rewritten_between_its_markers(tmp_path):
    svg = '<svg width="300pt" height="100pt" viewBox="0 0 300 100"></svg>'
    (tmp_path / "wide.svg").write_text(svg)
    readme = tmp_path / "README.md"
    readme.write_text(f"before\n{gallery.RATIOS_BEGIN}\nold, typed by hand\n{gallery.RATIOS_END}\nafter\n")
    gallery.write_ratios(str(tmp_path), str(readme))
    text = readme.read_text()
    assert "`wide` 3.0:1" in text and "typed by hand" not in text
    assert text.startswith("before\n") and text.endswith(f"{gallery.RATIOS_END}\nafter\n")
