"""python -m tests.golden [--update] [NAME...]: compare (or rewrite) the golden files."""
import argparse
import difflib
import sys

from . import CASES, path_of, stored
from graphscope.util.atomic import atomic_write


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m tests.golden", description=__doc__)
    p.add_argument("--update", action="store_true", help="rewrite the golden files from what the code says now")
    p.add_argument("names", nargs="*", help=f"cases (default: all): {', '.join(CASES)}")
    args = p.parse_args(argv)
    names = args.names or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        p.error(f"no golden case {', '.join(unknown)}; cases: {', '.join(CASES)}")
    differ = 0
    for name in names:
        text, old = CASES[name](), stored(name)
        if text == old:
            print(f"same     {name}")
        elif args.update:
            with atomic_write(path_of(name), "golden file") as fh:
                fh.write(text.encode("utf-8"))
            print(f"updated  {name}")
        else:
            differ += 1
            print(f"DIFFERS  {name}")
            sys.stdout.writelines(difflib.unified_diff((old or "").splitlines(True), text.splitlines(True),
                                                       f"golden/{name}", "now"))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
