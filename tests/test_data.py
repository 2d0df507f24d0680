"""Data sets: generated, bundled, MNIST IDX and CIFAR-10 binary files (tiny ones built here), preprocessing."""
import gzip
import struct
import sys

import numpy as np
import pytest

from graphscope.train import data
from graphscope.train.data import DataError
from graphscope.train.datafiles import CIFAR_RECORD, CIFAR_TEST, CIFAR_TRAIN, MNIST_FILES, read_idx


# ---------------------------------------------------------------------- generated and bundled sets

def test_spiral_has_the_asked_classes_and_points_on_arms_within_the_unit_disc():
    x, y = data.spiral(n_per_class=50, classes=4, seed=1)
    assert x.shape == (200, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50] * 4
    radius = np.linalg.norm(x, axis=1)
    assert radius.max() <= 1.0 + 1e-6
    # radius grows linearly along each arm (cs231n's construction)
    np.testing.assert_allclose(radius[:50], np.linspace(0, 1, 50), atol=1e-6)


def test_generated_sets_are_seeded():
    a, b, c = data.spiral(seed=3), data.spiral(seed=3), data.spiral(seed=4)
    assert np.array_equal(a[0], b[0]) and not np.array_equal(a[0], c[0])
    m1, m2 = data.moons(n=101, seed=5), data.moons(n=101, seed=5)
    assert np.array_equal(m1[0], m2[0]) and np.array_equal(m1[1], m2[1])


def test_moons_are_two_half_circles_without_noise():
    x, y = data.moons(n=101, noise=0.0, seed=0)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert np.bincount(y).tolist() == [50, 51]
    np.testing.assert_allclose(np.linalg.norm(x[y == 0], axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(x[y == 1] - [1.0, 0.5], axis=1), 1.0, atol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: data.spiral(n_per_class=0), "n_per_class must be an integer >= 1"),
    (lambda: data.spiral(classes=1), "classes must be an integer >= 2"),
    (lambda: data.moons(noise=-1), "moons: noise must be >= 0"),
    (lambda: data.spiral(noise=-0.5), "spiral: noise must be >= 0"),
])
def test_generated_sets_reject_bad_arguments(call, message):
    with pytest.raises(DataError, match=message):
        call()


def test_digits_are_scikit_learns_bundled_set():
    pytest.importorskip("sklearn")
    x, y = data.digits()
    assert x.shape == (1797, 64) and x.dtype == np.float32 and y.dtype == np.int64
    assert x.min() == 0 and x.max() == 16 and sorted(set(y.tolist())) == list(range(10))


def test_digits_without_scikit_learn_names_the_data_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)  # makes the import fail
    with pytest.raises(DataError, match=r"scikit-learn.*pip install -e '\.\[data\]' in graphscope's checkout"):
        data.digits()


# ---------------------------------------------------------------------- MNIST (IDX)

def idx_bytes(array, type_byte=0x08, dims=None):
    dims = array.shape if dims is None else dims
    return bytes([0, 0, type_byte, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + array.tobytes()


def write_mnist(folder, n_train=5, n_test=3, gz=False, rng=None):
    rng = rng or np.random.default_rng(0)
    arrays = {"x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
              "y_train": rng.integers(0, 10, n_train, dtype=np.uint8),
              "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
              "y_test": rng.integers(0, 10, n_test, dtype=np.uint8)}
    for key, stem in MNIST_FILES.items():
        raw = idx_bytes(arrays[key])
        if gz:
            (folder / (stem + ".gz")).write_bytes(gzip.compress(raw))
        else:
            (folder / stem).write_bytes(raw)
    return arrays


@pytest.mark.parametrize("gz", [False, True])
def test_mnist_reads_idx_files_gzipped_or_not(tmp_path, gz):
    arrays = write_mnist(tmp_path, gz=gz)
    split = data.load_mnist(tmp_path)
    x_train, y_train, x_test, y_test = split
    assert x_train.shape == (5, 784) and x_test.shape == (3, 784)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    np.testing.assert_allclose(x_train, arrays["x_train"].reshape(5, -1) / 255.0, rtol=1e-6)
    assert y_test.tolist() == arrays["y_test"].tolist()
    assert data.load_mnist(tmp_path, flatten=False).x_test.shape == (3, 28, 28)


def test_idx_images_of_another_size_keep_their_shape(tmp_path):
    """Fashion-MNIST and friends share the format; nothing assumes 28 x 28 beyond the file names."""
    rng = np.random.default_rng(1)
    for key, stem in MNIST_FILES.items():
        shape = (4, 5, 3) if key.startswith("x") else (4,)
        (tmp_path / (stem + ".gz")).write_bytes(gzip.compress(idx_bytes(rng.integers(0, 10, shape, dtype=np.uint8))))
    assert data.load_mnist(tmp_path).x_train.shape == (4, 15)
    images = data.load_mnist(tmp_path, flatten=False).x_test
    assert images.shape == (4, 5, 3) and images.flags.writeable


def test_mnist_in_a_wrong_folder_names_every_file_expected(tmp_path):
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros((1, 28, 28), np.uint8)))
    with pytest.raises(DataError) as info:
        data.load_mnist(tmp_path)
    message = str(info.value)
    assert str(tmp_path) in message and "lacks train-labels-idx1-ubyte, t10k-images-idx3-ubyte" in message
    for stem in MNIST_FILES.values():
        assert stem in message


def test_mnist_folder_that_does_not_exist(tmp_path):
    with pytest.raises(DataError, match=r"does not exist; name the folder holding train-images-idx3-ubyte"):
        data.load_mnist(tmp_path / "nowhere")


@pytest.mark.parametrize("gz", [False, True])
def test_truncated_idx_file_is_named_with_its_sizes(tmp_path, gz):
    raw = idx_bytes(np.zeros((4, 28, 28), np.uint8))[:-100]
    path = tmp_path / ("images.gz" if gz else "images")
    path.write_bytes(gzip.compress(raw) if gz else raw)
    with pytest.raises(DataError, match=r"4 x 28 x 28 values of 1 byte\(s\) = 3136 bytes .* holds 3036"):
        read_idx(path)


def test_idx_header_announcing_a_huge_array_is_refused_before_allocating(tmp_path):
    path = tmp_path / "images"
    path.write_bytes(idx_bytes(np.zeros(10, np.uint8), dims=(60000, 4000, 4000)))
    with pytest.raises(DataError, match=r"= 960000000000 bytes .* holds 10"):
        read_idx(path)


def test_gzipped_idx_header_announcing_a_huge_array_reads_only_what_is_there(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(gzip.compress(idx_bytes(np.zeros(10, np.uint8), dims=(60000, 4000, 4000))))
    with pytest.raises(DataError, match=r"holds 10 \(truncated"):
        read_idx(path)


def test_idx_file_with_extra_bytes_is_refused(tmp_path):
    path = tmp_path / "labels"
    path.write_bytes(idx_bytes(np.zeros(3, np.uint8)) + b"\0")
    with pytest.raises(DataError, match=r"3 values .* = 3 bytes .* holds 4"):
        read_idx(path)


@pytest.mark.parametrize("head", [b"\x08\x03\x00\x00", b"\x00\x00\x42\x01", b"\x00"])
def test_wrong_magic_is_not_an_idx_file(tmp_path, head):
    path = tmp_path / "train-images-idx3-ubyte"
    path.write_bytes(head + bytes(20))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: not an IDX file"):
        read_idx(path)


@pytest.mark.parametrize("content, found", [(b"", "it is empty"), (b"\x00\x00", "it holds only 2 byte"),
                                            (b"\x00\x00\x42\x01", "its first 4 bytes are 00 00 42 01")])
def test_a_file_too_short_or_with_a_wrong_header_says_what_it_holds(tmp_path, content, found):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(content)
    with pytest.raises(DataError, match=rf"not an IDX file \({found}.*; an IDX file starts with 00 00, a type byte"):
        read_idx(path)


@pytest.mark.parametrize("load", ["load_mnist", "load_cifar10"])
def test_flatten_is_a_switch(tmp_path, load):
    with pytest.raises(DataError, match=rf"{load}: flatten must be True or False, got 'yes'"):
        getattr(data, load)(tmp_path, "yes")


def test_labels_swapped_for_images_have_the_wrong_rank(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-images-idx3-ubyte").write_bytes(idx_bytes(np.zeros(5, np.uint8)))
    with pytest.raises(DataError, match=r"train-images-idx3-ubyte: an IDX file with 1 dimension\(s\); "
                                         r"train-images-idx3-ubyte should have 3"):
        data.load_mnist(tmp_path)


def test_mnist_files_of_another_idx_type_are_refused(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(5, ">f4"), type_byte=0x0D))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: holds float32 values; MNIST files hold unsigned"):
        data.load_mnist(tmp_path)


def test_other_idx_types_are_read_big_endian(tmp_path):
    path = tmp_path / "values"
    path.write_bytes(idx_bytes(np.array([[1.5, -2.0]], ">f8"), type_byte=0x0E))
    values = read_idx(path)
    assert values.dtype == np.float64 and values.tolist() == [[1.5, -2.0]]


def test_mnist_folder_with_a_tilde_is_expanded(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "mnist").mkdir()
    write_mnist(tmp_path / "mnist")
    assert data.load_mnist("~/mnist").x_train.shape == (5, 784)


def test_mnist_with_more_images_than_labels(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.zeros(2, np.uint8)))
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte holds 3 images but t10k-labels-idx1-ubyte holds 2"):
        data.load_mnist(tmp_path)


def test_mnist_label_out_of_range(tmp_path):
    write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 12, 3, 4], np.uint8)))
    with pytest.raises(DataError, match=r"train-labels-idx1-ubyte: label 12 is outside 0..9"):
        data.load_mnist(tmp_path)


def test_corrupt_gzip_is_a_data_error(tmp_path):
    path = tmp_path / "labels.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00garbage that is no deflate stream")
    with pytest.raises(DataError, match=r"labels.gz: cannot be read"):
        read_idx(path)


# ---------------------------------------------------------------------- CIFAR-10 (binary)

def cifar_batch(labels, rng):
    images = rng.integers(0, 256, (len(labels), 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([np.asarray(labels, np.uint8)[:, None], images.reshape(len(labels), -1)], axis=1)
    return images, records.tobytes()


def write_cifar(folder, rng, per_batch=2):
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for i, name in enumerate(CIFAR_TRAIN + [CIFAR_TEST]):
        labels = [(i + k) % 10 for k in range(per_batch)]
        images, raw = cifar_batch(labels, rng)
        (folder / name).write_bytes(raw)
        written[name] = (images, labels)
    return written


def test_cifar10_reads_the_binary_batches(tmp_path, rng):
    written = write_cifar(tmp_path, rng)
    x_train, y_train, x_test, y_test = data.load_cifar10(tmp_path)
    assert x_train.shape == (10, 3072) and x_test.shape == (2, 3072)
    assert x_train.dtype == np.float32 and y_train.dtype == np.int64
    assert y_train.tolist() == sum((written[n][1] for n in CIFAR_TRAIN), [])
    images = data.load_cifar10(tmp_path, flatten=False).x_test
    np.testing.assert_allclose(images, written[CIFAR_TEST][0] / 255.0, rtol=1e-6)


def test_cifar10_finds_the_folder_the_archive_unpacks_to(tmp_path, rng):
    write_cifar(tmp_path / "cifar-10-batches-bin", rng)
    assert data.load_cifar10(tmp_path).x_train.shape == (10, 3072)


def test_cifar10_wrong_folder_names_the_files_expected(tmp_path):
    with pytest.raises(DataError) as info:
        data.load_cifar10(tmp_path)
    message = str(info.value)
    assert f"{tmp_path} has none of the CIFAR-10 files" in message
    assert "data_batch_1.bin, data_batch_2.bin" in message and "test_batch.bin" in message
    assert "binary version" in message


def test_cifar10_python_version_is_refused_without_unpickling(tmp_path):
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04 a pickle that must never be loaded")
    with pytest.raises(DataError, match=r"Python version \(pickled batches\), which graphscope never unpickles"):
        data.load_cifar10(tmp_path)


@pytest.mark.parametrize("cut", [1, CIFAR_RECORD - 1])
def test_truncated_cifar_batch_is_named(tmp_path, rng, cut):
    write_cifar(tmp_path, rng)
    path = tmp_path / "data_batch_3.bin"
    path.write_bytes(path.read_bytes()[:-cut])
    with pytest.raises(DataError, match=rf"data_batch_3.bin: {2 * CIFAR_RECORD - cut} bytes is not a whole number "
                                        rf"of 3073-byte CIFAR-10 records"):
        data.load_cifar10(tmp_path)


def test_cifar_batch_with_a_bad_label(tmp_path, rng):
    write_cifar(tmp_path, rng)
    _, raw = cifar_batch([3, 200], rng)
    (tmp_path / CIFAR_TEST).write_bytes(raw)
    with pytest.raises(DataError, match=r"test_batch.bin: label 200 is outside 0..9 .*: not a 10-class CIFAR-10 "
                                         r"batch \(each record starts with its label byte, 0..9\)"):
        data.load_cifar10(tmp_path)


# ---------------------------------------------------------------------- preprocessing and splitting

def test_zero_center_uses_the_training_mean_for_every_set(rng):
    x_train = rng.normal(5.0, 2.0, (50, 3))
    x_val = rng.normal(-1.0, 2.0, (10, 3))
    a, b = data.zero_center(x_train, x_val)
    np.testing.assert_allclose(a.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(b, x_val - x_train.mean(axis=0), rtol=1e-5)
    assert a.dtype == np.float32 and isinstance(data.zero_center(x_train), np.ndarray)


def test_standardize_scales_by_the_training_std_and_leaves_constant_features(rng):
    x_train = np.c_[rng.normal(3.0, 4.0, 200), np.full(200, 7.0)]
    x_test = np.array([[3.0, 7.0], [11.0, 8.0]])
    a, b = data.standardize(x_train, x_test)
    np.testing.assert_allclose(a.std(axis=0), [1.0, 0.0], atol=1e-5)
    mean, std = x_train.mean(axis=0), x_train.std(axis=0)
    np.testing.assert_allclose(b, [[(3 - mean[0]) / std[0], 0.0], [(11 - mean[0]) / std[0], 1.0]], rtol=1e-5)


def test_preprocessing_rejects_sets_of_other_shapes():
    with pytest.raises(DataError, match=r"standardize: argument 2 has examples of shape \(4,\), "
                                        r"but x_train's are \(3,\)"):
        data.standardize(np.ones((5, 3)), np.ones((2, 4)))
    with pytest.raises(DataError, match=r"zero_center: x_train is empty"):
        data.zero_center(np.ones((0, 3)))


def test_train_val_split_is_seeded_disjoint_and_complete():
    x = np.arange(50, dtype=np.float32)[:, None]
    y = np.arange(50, dtype=np.int64)
    x_train, y_train, x_val, y_val = data.train_val_split(x, y, val_fraction=0.2, seed=7)
    assert len(x_val) == 10 and len(x_train) == 40
    assert sorted(y_train.tolist() + y_val.tolist()) == list(range(50))
    assert np.array_equal(x_train[:, 0], y_train)  # rows stay with their labels
    again = data.train_val_split(x, y, val_fraction=0.2, seed=7)
    other = data.train_val_split(x, y, val_fraction=0.2, seed=8)
    assert np.array_equal(again[3], y_val) and not np.array_equal(other[3], y_val)


@pytest.mark.parametrize("x, y, fraction, message", [
    (np.ones((5, 2)), np.ones(4), 0.2, r"x of shape \(5, 2\) and y of shape \(4,\)"),
    (np.ones((5, 2)), np.ones(5), 1.0, r"val_fraction must be between 0 and 1"),
    (np.ones((2, 2)), np.ones(2), 0.1, r"2 example\(s\) with val_fraction=0.1 leave 2 for training and 0"),
])
def test_train_val_split_rejects_bad_input(x, y, fraction, message):
    with pytest.raises(DataError, match=message):
        data.train_val_split(x, y, val_fraction=fraction)
