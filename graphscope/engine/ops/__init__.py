"""The built-in ops. Importing this package registers them all in the op table."""
from . import compare, dims, elementwise, linalg, losses, nn, reduce, shape  # noqa: F401
