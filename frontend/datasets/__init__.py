"""Small datasets in Keras's form: ``(x_train, y_train), (x_test, y_test)`` as NumPy arrays.

- :mod:`plugnet.datasets.mnist`: MNIST, read from the standard files or a
  Keras ``mnist.npz`` (downloaded once into ``~/.plugnet/datasets`` when online).
- :mod:`plugnet.datasets.digits`: scikit-learn's 8x8 digits, offline.

Example:
    >>> from plugnet.datasets import mnist
    >>> (x_train, y_train), (x_test, y_test) = mnist.load_data()
"""

from plugnet.datasets import digits, mnist
from plugnet.datasets._files import DatasetNotFoundError
from plugnet.datasets._idx import IDXFormatError, read_idx

__all__ = ["DatasetNotFoundError", "IDXFormatError", "digits", "mnist", "read_idx"]
