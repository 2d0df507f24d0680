"""The architecture's import rules (DESIGN.md "Architecture"), checked on the source of every module.

Imports run one way, downward; imports inside functions count as much as those
at the top of a module. A new part of the package must be given its place in
LAYERS before it can import anything.
"""
import ast
import pathlib
import sys

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parent.parent / "graphscope"

#: Each part of the package (a subpackage or a top-level module) and the parts it may import.
#: Parts not yet written (nn, optim, train, tui) have their places already.
LAYERS = {
    "engine": set(),
    "version": set(),
    "util": {"engine"},
    "stepper": {"engine"},
    "nn": {"engine"},
    "optim": {"engine", "nn"},
    "interop": {"engine", "util"},
    "examples": {"engine"},
    "viz": {"stepper", "engine", "util", "version"},
    "train": {"nn", "optim", "engine", "interop", "util"},
    "userfile": {"engine", "interop", "util"},
    "tui": {"viz", "stepper", "train", "nn", "optim", "engine", "interop", "userfile", "examples", "util",
            "version"},
    "cli": {"tui", "viz", "stepper", "train", "nn", "optim", "engine", "interop", "userfile", "examples", "util",
            "version"},
    # graphscope/__init__.py gathers the public API; `python -m graphscope` runs the command
    "__init__": {"engine", "interop", "stepper", "viz", "version", "nn", "optim", "train"},
    "__main__": {"cli"},
}

#: Outside the standard library, the engine and the stepper use only these.
ENGINE_THIRD_PARTY = {"numpy", "networkx"}


def modules():
    """(dotted module name, path) of every module in the package."""
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            yield ".".join(parts[:-1]), path, True
        else:
            yield ".".join(parts), path, False


KNOWN = {name for name, _, _ in modules()}


def part_of(module):
    """'engine' for graphscope.engine.tensor, '__init__' for the package itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(module, path, is_package):
    """(line, imported graphscope module or third-party top-level name) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            for alias in node.names:
                sub = f"{target}.{alias.name}"
                found.append((node.lineno, sub if sub in KNOWN else target))
    return found


def internal_imports():
    for module, path, is_package in modules():
        for line, target in imports(module, path, is_package):
            if target == "graphscope" or target.startswith("graphscope."):
                yield module, path, line, target


def test_every_part_of_the_package_has_a_place_in_the_layers():
    parts = {part_of(m) for m in KNOWN}
    assert parts <= set(LAYERS), f"give {sorted(parts - set(LAYERS))} a place in LAYERS (what may it import?)"


def test_imports_run_downward():
    wrong = []
    for module, path, line, target in internal_imports():
        src, dst = part_of(module), part_of(target)
        if src != dst and dst not in LAYERS.get(src, set()):
            wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line}: {module} imports {target} ({src} -> {dst})")
    assert not wrong, "imports against the layering of DESIGN.md:\n" + "\n".join(wrong)


def test_nothing_imports_the_command_line():
    wrong = [f"{module} imports {target}" for module, _, _, target in internal_imports()
             if part_of(target) == "cli" and part_of(module) not in ("cli", "__main__")]
    assert not wrong


@pytest.mark.parametrize("part", ["engine", "stepper"])
def test_engine_and_stepper_use_numpy_and_networkx_only(part):
    wrong = []
    for module, path, is_package in modules():
        if part_of(module) != part:
            continue
        for line, target in imports(module, path, is_package):
            top = target.split(".")[0]
            if top != "graphscope" and top not in sys.stdlib_module_names and top not in ENGINE_THIRD_PARTY:
                wrong.append(f"{module}:{line} imports {target}")
    assert not wrong


def test_the_rules_catch_an_upward_import(tmp_path):
    """The checker itself: an engine module importing viz (lazily, inside a function) is found."""
    path = tmp_path / "bad.py"
    path.write_text("def draw():\n    from ..viz import to_svg\n    return to_svg\n")
    assert imports("graphscope.engine.bad", path, False) == [(2, "graphscope.viz")]
    assert "viz" not in LAYERS["engine"]


def import_cycles(edges):
    """Every import circle (a strongly connected set of more than one module, or a module importing itself)."""
    index, low, on_stack, stack, cycles = {}, {}, set(), [], []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1 or v in edges.get(v, ()):
                cycles.append(sorted(group))

    for v in list(edges):
        if v not in index:
            visit(v)
    return cycles


def import_edges():
    """Module -> the graphscope modules it imports (top-level and inside functions alike)."""
    edges = {}
    for module, _, _, target in internal_imports():
        if target in KNOWN and target != module:
            edges.setdefault(module, set()).add(target)
    return edges


def test_no_import_circle_anywhere_in_the_package():
    cycles = import_cycles(import_edges())
    assert not cycles, "import circles (function-level imports count):\n" + "\n".join(
        " <-> ".join(c) for c in cycles)


def test_the_circle_finder_finds_a_circle_through_a_function_level_import(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("from .b import g\n")
    b.write_text("def g():\n    from .a import f\n")
    edges = {"graphscope.engine.a": {t for _, t in imports("graphscope.engine.a", a, False)},
             "graphscope.engine.b": {t for _, t in imports("graphscope.engine.b", b, False)}}
    assert import_cycles(edges) == [["graphscope.engine.a", "graphscope.engine.b"]]
    assert import_cycles({"x": {"y"}, "y": set()}) == []


def test_no_module_shadows_the_standard_library():
    """A module named like a standard one (``inspect.py``) hides it from its neighbours' absolute imports in tools."""
    clash = sorted(m for m in KNOWN if m.rpartition(".")[2] in sys.stdlib_module_names)
    assert not clash, f"modules named like standard-library modules: {clash}"
