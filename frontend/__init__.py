"""plugnet: a Keras-style deep-learning frontend over pluggable backends.

    import plugnet
    from plugnet import layers

    model = plugnet.Sequential([layers.Input(shape=(20,)), layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")

The backend (``numpy`` by default, ``PLUGNET_BACKEND`` or ``plugnet.set_backend``)
is loaded on the first op, and the submodules on first attribute access, so
``import plugnet`` stays cheap.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

from plugnet import backend, ops, random, utils  # noqa: E402
from plugnet.backend import set_backend  # noqa: E402
from plugnet.device import device, set_device  # noqa: E402
from plugnet.tape import GradientTape  # noqa: E402
from plugnet.variables import Variable  # noqa: E402

_SUBMODULES = {
    "activations", "callbacks", "datasets", "initializers", "layers", "losses", "metrics", "models",
    "optimizers", "regularizers", "registry", "dtypes", "saving",
}
_NAMES = {
    "Sequential": ("plugnet.models", "Sequential"),
    "Model": ("plugnet.models", "Model"),
    "Input": ("plugnet.layers", "Input"),
    "KerasTensor": ("plugnet.layers", "KerasTensor"),
    "Layer": ("plugnet.layers", "Layer"),
    "Loss": ("plugnet.losses", "Loss"),
    "Metric": ("plugnet.metrics", "Metric"),
    "Initializer": ("plugnet.initializers", "Initializer"),
    "Regularizer": ("plugnet.regularizers", "Regularizer"),
    "Optimizer": ("plugnet.optimizers", "Optimizer"),
    "Callback": ("plugnet.callbacks", "Callback"),
}


def __getattr__(name: str):
    if name in _SUBMODULES:
        module = importlib.import_module(f"plugnet.{name}")
    elif name in _NAMES:
        module_name, attribute = _NAMES[name]
        module = getattr(importlib.import_module(module_name), attribute)
    else:
        raise AttributeError(f"module 'plugnet' has no attribute {name!r}")
    globals()[name] = module
    return module


def __dir__():
    return sorted(set(globals()) | _SUBMODULES | set(_NAMES))


__all__ = sorted(
    ["GradientTape", "Variable", "backend", "device", "ops", "random", "set_backend", "set_device", "utils",
     "__version__"]
    + list(_SUBMODULES)
    + list(_NAMES)
)
