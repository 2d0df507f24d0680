"""A training file: a sample whose build() returns the loss and whose data() returns the data set."""
from ..userfile import call_build, load_module, training_data


def load_training_file(path):
    """(loss tensor, (x_train, y_train, x_val, y_val)) from a training file; a missing part is named."""
    module = load_module(path)
    data = training_data(module, path)
    return call_build(module, path), data
