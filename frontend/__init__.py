"""plugnet: a Keras-style deep-learning frontend over pluggable backends.

    import plugnet
    plugnet.set_backend("numpy")          # or PLUGNET_BACKEND=torch
    model = plugnet.Sequential([plugnet.layers.Dense(10)])
"""

__version__ = "0.1.0"

from plugnet import backend, ops, random, utils  # noqa: E402
from plugnet.backend import set_backend  # noqa: E402
from plugnet.tape import GradientTape  # noqa: E402
from plugnet.variables import Variable  # noqa: E402

__all__ = ["GradientTape", "Variable", "backend", "ops", "random", "set_backend", "utils", "__version__"]
