"""What a window of the graph view looks up: boxes and edge segments by where they are, in bounded memory.

Boxes are small, so each is listed in the grid buckets (CHUNK rows by
CHUNK_W columns) it touches. An edge segment can be as long as the whole
layout (a long edge of a 40,000-node chain crosses hundreds of thousands of
columns), so segments go into a hierarchy of coarser and coarser buckets
along their length: each one is stored at most twice, at the level whose
bucket size is about its length, and a window asks every level, a handful of
buckets each. Memory is linear in the number of segments, whatever their
length.
"""

#: Rows and columns per bucket of the grid (what a window looks up).
CHUNK = 16
CHUNK_W = 32


def cells(x1, y1, x2, y2):
    """The grid buckets a rectangle (inclusive corners) touches."""
    return [(cy, cx) for cy in range(max(y1, 0) // CHUNK, max(y2, 0) // CHUNK + 1)
            for cx in range(max(x1, 0) // CHUNK_W, max(x2, 0) // CHUNK_W + 1)]


class SpanIndex:
    """Things lying along one axis, each at one 'across' bucket over an 'along' span of buckets.

    ``add(across, lo, hi, thing)`` stores it in at most two buckets of the level where the span is at most
    two buckets long; ``find(across_lo, across_hi, lo, hi)`` yields each thing whose span may meet the range
    (possibly a few more, never one twice).
    """

    def __init__(self):
        self.buckets = {}
        self.levels = set()

    def add(self, across, lo, hi, thing):
        level = 0
        while (hi >> level) - (lo >> level) > 1:
            level += 1
        self.levels.add(level)
        for b in {lo >> level, hi >> level}:
            self.buckets.setdefault((level, across, b), []).append(thing)

    def find(self, across_lo, across_hi, lo, hi):
        seen = set()
        for level in self.levels:
            for across in range(across_lo, across_hi + 1):
                for b in range(lo >> level, (hi >> level) + 1):
                    for thing in self.buckets.get((level, across, b), ()):
                        if thing not in seen:
                            seen.add(thing)
                            yield thing


class LayoutIndex:
    """A layout's boxes by grid bucket, its horizontal segments by row, its vertical ones by column.

    A segment is ``(route number, x1, y1, x2, y2)``.
    """

    def __init__(self, lay):
        self.boxes = {}
        self.rows = SpanIndex()   # horizontal segments: across = row bucket, along = column buckets
        self.cols = SpanIndex()   # vertical segments: across = column bucket, along = row buckets
        for key, box in lay.boxes.items():
            for cell in cells(box.x, box.y, box.right - 1, box.y + box.h - 1):
                self.boxes.setdefault(cell, []).append(key)
        for n, (_edge, points) in enumerate(lay.routes):
            for (x1, y1), (x2, y2) in zip(points, points[1:]):
                seg = (n, x1, y1, x2, y2)
                if y1 == y2:
                    self.rows.add(max(y1, 0) // CHUNK, max(min(x1, x2), 0) // CHUNK_W,
                                  max(x1, x2, 0) // CHUNK_W, seg)
                else:
                    self.cols.add(max(x1, 0) // CHUNK_W, max(min(y1, y2), 0) // CHUNK,
                                  max(y1, y2, 0) // CHUNK, seg)

    def segments_in(self, x0, y0, w, h):
        """The edge segments that may cross the window (each once)."""
        x1, y1 = x0 + w - 1, y0 + h - 1
        for seg in self.rows.find(max(y0, 0) // CHUNK, max(y1, 0) // CHUNK, max(x0, 0) // CHUNK_W,
                                  max(x1, 0) // CHUNK_W):
            if y0 <= seg[2] <= y1 and min(seg[1], seg[3]) <= x1 and max(seg[1], seg[3]) >= x0:
                yield seg
        for seg in self.cols.find(max(x0, 0) // CHUNK_W, max(x1, 0) // CHUNK_W, max(y0, 0) // CHUNK,
                                  max(y1, 0) // CHUNK):
            if x0 <= seg[1] <= x1 and min(seg[2], seg[4]) <= y1 and max(seg[2], seg[4]) >= y0:
                yield seg

    def boxes_in(self, x0, y0, w, h):
        """The keys of the boxes that may show in the window (each once)."""
        seen = set()
        for cell in cells(x0, y0, x0 + w - 1, y0 + h - 1):
            for key in self.boxes.get(cell, ()):
                if key not in seen:
                    seen.add(key)
                    yield key
