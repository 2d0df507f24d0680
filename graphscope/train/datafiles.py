"""MNIST (IDX files) and CIFAR-10 (binary batches) read from a folder the user names.

Both are parsed with numpy alone: nothing is ever unpickled. Every size a
header announces is checked against the file before an array is allocated,
so a truncated or malformed file gets one message naming the file and what
is wrong, never a numpy traceback or a huge allocation.
"""
import gzip
import os
import zlib
from typing import NamedTuple

import numpy as np

from ..engine.errors import GraphscopeError
from ..util.atomic import require_path


class DataError(GraphscopeError, ValueError):
    """A data set could not be read: a wrong folder, a missing, truncated or malformed file."""


class Split(NamedTuple):
    """A data set with its own test part: unpacks as ``x_train, y_train, x_test, y_test``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


# ---------------------------------------------------------------------- IDX (MNIST)

#: IDX type byte -> big-endian numpy dtype (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
IDX_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}

MNIST_FILES = {
    "x_train": "train-images-idx3-ubyte",
    "y_train": "train-labels-idx1-ubyte",
    "x_test": "t10k-images-idx3-ubyte",
    "y_test": "t10k-labels-idx1-ubyte",
}

_CHUNK = 1 << 20


def _mnist_candidates(stem):
    """File names accepted for one MNIST file: the official name, its '.'-spelling, each optionally .gz."""
    dotted = stem.replace("-idx", ".idx")
    return [stem, stem + ".gz", dotted, dotted + ".gz"]


def _read_exactly(f, n):
    """The next n bytes of an open (possibly gzipped) file, read in chunks so a lying header allocates nothing."""
    data = bytearray()
    while len(data) < n:
        chunk = f.read(min(_CHUNK, n - len(data)))
        if not chunk:
            break
        data += chunk
    return data, len(data)


def read_idx(path, ndim=None):
    """The array stored in an IDX file (gzipped when the name ends in .gz), checked against its header."""
    path = os.fspath(path)
    name = os.path.basename(path)
    opener = gzip.open if path.endswith(".gz") else open
    try:
        with opener(path, "rb") as f:
            head, got = _read_exactly(f, 4)
            if got < 4 or head[0] != 0 or head[1] != 0 or head[2] not in IDX_DTYPES:
                found = (f"its first 4 bytes are {head.hex(' ')}" if got == 4 else
                         "it is empty" if got == 0 else f"it holds only {got} byte(s)")
                raise DataError(f"{path}: not an IDX file ({found}; an IDX file starts with 00 00, a type byte "
                                f"({', '.join(f'{k:02x}' for k in IDX_DTYPES)}) and the number of dimensions)")
            dtype, rank = np.dtype(IDX_DTYPES[head[2]]), head[3]
            if ndim is not None and rank != ndim:
                raise DataError(f"{path}: an IDX file with {rank} dimension(s); {name} should have {ndim}")
            dims_raw, got = _read_exactly(f, 4 * rank)
            if got < 4 * rank:
                raise DataError(f"{path}: truncated: its header announces {rank} dimensions but ends after "
                                f"{4 + got} bytes")
            shape = tuple(int(d) for d in np.frombuffer(dims_raw, ">u4"))
            expected = int(np.prod(shape, dtype=object)) * dtype.itemsize
            header = 4 + 4 * rank
            if opener is open:  # the size is known before reading: check it, then read straight into the array
                actual = os.fstat(f.fileno()).st_size - header
                if actual != expected:
                    raise DataError(_size_message(path, shape, dtype, expected, actual, header))
                array = np.fromfile(f, dtype, count=expected // dtype.itemsize)
            else:  # gzip: decompress at most what the header announces, chunk by chunk
                data, got = _read_exactly(f, expected)
                extra = f.read(1)
                if got != expected or extra:
                    actual = got + len(extra) + sum(len(c) for c in iter(lambda: f.read(_CHUNK), b""))
                    raise DataError(_size_message(path, shape, dtype, expected, actual, header))
                array = np.frombuffer(data, dtype)
    except (OSError, EOFError, zlib.error) as e:
        raise DataError(f"{path}: cannot be read ({e})") from None
    return array.reshape(shape).astype(dtype.newbyteorder("="), copy=False)


def _size_message(path, shape, dtype, expected, actual, header):
    shape_text = " x ".join(map(str, shape)) or "scalar"
    return (f"{path}: its header announces {shape_text} values of {dtype.itemsize} byte(s) = {expected} bytes of "
            f"data after the {header}-byte header, but the file holds {actual} (truncated or not this file)")


def _find_files(folder, stems, candidates, data_set, hint):
    """{key: path} for each expected file in `folder`, or one DataError naming every file expected."""
    folder = os.path.expanduser(require_path(folder, f"{data_set} folder"))
    if not os.path.isdir(folder):
        problem = "is a file, not a folder" if os.path.exists(folder) else "does not exist"
        raise DataError(f"{data_set}: {folder} {problem}; name the folder holding {', '.join(stems.values())}")
    found, missing = {}, []
    for key, stem in stems.items():
        paths = [os.path.join(folder, c) for c in candidates(stem)]
        hit = next((p for p in paths if os.path.isfile(p)), None)
        if hit is None:
            missing.append(stem)
        else:
            found[key] = hit
    if missing:
        what = f"has none of the {data_set} files" if not found else f"lacks {', '.join(missing)}"
        raise DataError(f"{data_set}: {os.path.abspath(folder)} {what}; expected the files "
                        f"{', '.join(stems.values())} {hint}")
    return found


def load_mnist(folder, flatten=True):
    """MNIST from the four IDX files in `folder` (gzipped or not): a ``Split`` of float32 pixels in [0, 1].

    Images are (N, 784) rows, or (N, 28, 28) with ``flatten=False``; labels int64 in 0..9.
    """
    flatten = _flatten_flag(flatten, "load_mnist")
    paths = _find_files(folder, MNIST_FILES, _mnist_candidates, "MNIST",
                        "(each may end in .gz), as downloaded from the MNIST page")
    arrays = {key: read_idx(paths[key], ndim=3 if key.startswith("x") else 1) for key in MNIST_FILES}
    for key, array in arrays.items():
        if array.dtype != np.uint8:
            raise DataError(f"{paths[key]}: holds {array.dtype} values; MNIST files hold unsigned bytes "
                            f"(IDX type 08)")
    for part in ("train", "test"):
        x, y = arrays["x_" + part], arrays["y_" + part]
        xp, yp = (os.path.basename(paths[k + "_" + part]) for k in "xy")
        if not x.size:
            raise DataError(f"{paths['x_' + part]}: its header announces {' x '.join(map(str, x.shape))} (images x "
                            f"rows x columns): {'no images' if not len(x) else 'images without a pixel'}; "
                            f"an MNIST file holds 28 x 28-pixel images")
        if len(x) != len(y):
            raise DataError(f"MNIST: {xp} holds {len(x)} images but {yp} holds {len(y)} labels")
        _check_labels(y, 10, paths["y_" + part])
        arrays["x_" + part] = _pixels([x], (int(np.prod(x.shape[1:])),) if flatten else x.shape[1:])
        arrays["y_" + part] = y.astype(np.int64)
    return Split(**arrays)


# ---------------------------------------------------------------------- CIFAR-10 (binary version)

CIFAR_TRAIN = [f"data_batch_{i}.bin" for i in range(1, 6)]
CIFAR_TEST = "test_batch.bin"
CIFAR_RECORD = 1 + 3 * 32 * 32  # one label byte, then 1024 red, 1024 green, 1024 blue pixel bytes
CIFAR_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def read_cifar_batch(path):
    """(images (N, 3072) uint8, labels (N,) uint8) from one CIFAR-10 binary batch file (views of one buffer)."""
    path = os.fspath(path)
    try:
        size = os.path.getsize(path)
        if size == 0 or size % CIFAR_RECORD:
            raise DataError(f"{path}: {size} bytes is not a whole number of {CIFAR_RECORD}-byte CIFAR-10 records "
                            f"(1 label byte + 3 x 32 x 32 pixel bytes each): truncated or not a CIFAR-10 batch")
        records = np.fromfile(path, np.uint8, count=size).reshape(-1, CIFAR_RECORD)
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e})") from None
    labels = records[:, 0]
    _check_labels(labels, 10, path, "CIFAR-10 batch (each record starts with its label byte, 0..9)")
    return records[:, 1:], labels


def _cifar_folder(folder):
    """The folder itself, or its cifar-10-batches-bin subfolder (where the archive unpacks)."""
    folder = os.path.expanduser(require_path(folder, "CIFAR-10 folder"))
    sub = os.path.join(folder, "cifar-10-batches-bin")
    if not os.path.isfile(os.path.join(folder, CIFAR_TEST)) and os.path.isdir(sub):
        return sub
    return folder


def load_cifar10(folder, flatten=True):
    """CIFAR-10 from the binary batches in `folder`: a ``Split`` of float32 pixels in [0, 1].

    Reads data_batch_1.bin ... data_batch_5.bin (training) and test_batch.bin;
    images are (N, 3072) rows (channel-major, as stored), or (N, 3, 32, 32)
    with ``flatten=False``; labels int64 in 0..9 (names in ``CIFAR_CLASSES``).
    """
    flatten = _flatten_flag(flatten, "load_cifar10")
    folder = _cifar_folder(folder)
    stems = {name: name for name in CIFAR_TRAIN + [CIFAR_TEST]}
    if os.path.isdir(folder) and os.path.isfile(os.path.join(folder, "data_batch_1")):
        raise DataError(f"CIFAR-10: {folder} holds the Python version (pickled batches), which graphscope never "
                        f"unpickles; download the binary version (cifar-10-binary.tar.gz) with the files "
                        f"{', '.join(stems)}")
    paths = _find_files(folder, stems, lambda stem: [stem], "CIFAR-10",
                        "(the binary version, cifar-10-binary.tar.gz)")
    train = [read_cifar_batch(paths[name]) for name in CIFAR_TRAIN]
    x_test, y_test = read_cifar_batch(paths[CIFAR_TEST])
    tail = (3072,) if flatten else (3, 32, 32)
    return Split(_pixels([x for x, _ in train], tail), np.concatenate([y for _, y in train]).astype(np.int64),
                 _pixels([x_test], tail), y_test.astype(np.int64))


# ---------------------------------------------------------------------- shared checks

def _check_labels(labels, classes, path, what="label file"):
    """Every label in 0..classes-1, or a DataError naming the first one outside and `what` holds them."""
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels[(labels < 0) | (labels >= classes)]
        raise DataError(f"{path}: label {int(bad[0])} is outside 0..{classes - 1} "
                        f"({bad.size} such label(s)): not a {classes}-class {what}")


def _flatten_flag(flatten, who):
    """`flatten` as given, when it is True or False; a DataError otherwise (a string such as 'yes' is not a switch)."""
    if not isinstance(flatten, (bool, np.bool_)):
        raise DataError(f"{who}: flatten must be True or False, got {flatten!r}")
    return bool(flatten)


def _pixels(parts, tail):
    """uint8 pixel arrays (N_i, ...) stacked into one float32 array (sum N_i, *tail) in [0, 1], in one pass."""
    out = np.empty((sum(len(p) for p in parts),) + tail, np.float32)
    row = 0
    for p in parts:
        np.divide(p.reshape((len(p),) + tail), np.float32(255), out=out[row:row + len(p)])
        row += len(p)
    return out
