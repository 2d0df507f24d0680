"""Import a sample file (samples/NAME.py) from its path as a fresh module, as the tests of the samples do."""
import importlib.util
import os
import sys

SAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "samples")


def load_sample(name, prefix="sample"):
    """samples/NAME.py as a new module named PREFIX_NAME (samples/ on the path while it runs, for the samples'
    shared _cli and _lecture modules)."""
    spec = importlib.util.spec_from_file_location(f"{prefix}_{name}", os.path.join(SAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, SAMPLES)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(SAMPLES)
    return module
