"""Initializers: how a layer fills its weights (``plugnet.initializers``).

An initializer is called as ``initializer(shape, dtype=None)`` and returns a
tensor of the active backend. Every Keras 3 initializer is here under its Keras
name; the fan-based ones (Glorot, He, Lecun) are configurations of
:class:`VarianceScaling`.

Seeds follow Keras 3: an int seed gives the same values on every call; an
unseeded initializer draws one seed from plugnet's global stream when it is
created (so :func:`plugnet.utils.set_random_seed` makes it reproducible) and
then also repeats its values; a :class:`plugnet.random.SeedGenerator` seed
gives fresh values on every call.

    >>> init = plugnet.initializers.get("he_normal")
    >>> kernel = init((3, 3, 16, 32))          # a conv kernel: fan_in = 3*3*16
"""

from __future__ import annotations

import math

import numpy as np

from plugnet import ops
from plugnet import random as _random
from plugnet import registry
from plugnet.dtypes import standardize_dtype

# The standard deviation of a unit normal truncated to [-2, 2]: dividing by it
# makes the truncated samples have the requested variance.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(shape) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight of ``shape``, as Keras computes them.

    A dense kernel ``(in, out)`` has fans ``in`` and ``out``; a conv kernel
    ``(*spatial, in, out)`` multiplies both by the receptive field size
    ``prod(spatial)``; a vector has both fans equal to its length; a scalar 1.
    """
    shape = tuple(int(d) for d in shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive_field = math.prod(shape[:-2])
    return shape[-2] * receptive_field, shape[-1] * receptive_field


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)``.

    A subclass taking constructor arguments returns them from ``get_config``
    so that ``from_config`` (and saved models) can rebuild it.

    Example:
        >>> class Halves(Initializer):
        ...     def __call__(self, shape, dtype=None):
        ...         return ops.full(shape, 0.5, dtype)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(f"{type(self).__name__} must implement __call__(shape, dtype=None).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config: dict):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


@registry.register_serializable()
class Zeros(Initializer):
    """Fills with 0.

    Example:
        >>> plugnet.initializers.Zeros()((2, 3))
    """

    def __call__(self, shape, dtype=None):
        return ops.zeros(tuple(shape), standardize_dtype(dtype))


@registry.register_serializable()
class Ones(Initializer):
    """Fills with 1.

    Example:
        >>> plugnet.initializers.Ones()((2, 3))
    """

    def __call__(self, shape, dtype=None):
        return ops.ones(tuple(shape), standardize_dtype(dtype))


@registry.register_serializable()
class Constant(Initializer):
    """Fills with ``value``: a Python number, or an array broadcastable to the shape.

    Example:
        >>> plugnet.initializers.Constant(0.1)((4,))
    """

    def __init__(self, value=0.0):
        if ops.is_tensor(value) or hasattr(value, "__array__"):
            value = ops.convert_to_numpy(value).tolist()
        self.value = value

    def __call__(self, shape, dtype=None):
        shape, dtype = tuple(shape), standardize_dtype(dtype)
        if isinstance(self.value, (int, float, bool)):
            return ops.full(shape, self.value, dtype)
        value = ops.convert_to_tensor(self.value, dtype)
        value_shape = tuple(ops.shape(value))
        try:
            np.broadcast_shapes(value_shape, shape)
        except ValueError:
            raise ValueError(
                f"Constant initializer: its value of shape {value_shape} cannot be "
                f"broadcast to the requested shape {shape}."
            ) from None
        return ops.broadcast_to(value, shape)

    def get_config(self) -> dict:
        return {"value": self.value}


@registry.register_serializable()
class IdentityInitializer(Initializer):
    """``gain`` times the identity matrix; only for 2-D shapes.

    Example:
        >>> plugnet.initializers.Identity(gain=2.0)((3, 3))
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer can only be used for 2-D matrices; got shape {shape} of rank {len(shape)}."
            )
        dtype = standardize_dtype(dtype)
        return ops.multiply(ops.eye(shape[0], shape[1], dtype=dtype), ops.convert_to_tensor(self.gain, dtype))

    def get_config(self) -> dict:
        return {"gain": self.gain}


Identity = IdentityInitializer


def _seed_from_config(seed):
    if isinstance(seed, dict):
        if seed.get("class_name") != "SeedGenerator":
            raise ValueError(f"Initializer seed: expected an int, None or a SeedGenerator config, got {seed!r}.")
        return _random.SeedGenerator(**seed.get("config", {}))
    return seed


class RandomInitializer(Initializer):
    """Base of the random initializers: holds and serializes the ``seed``."""

    def __init__(self, seed=None):
        seed = _seed_from_config(seed)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, _random.SeedGenerator))):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an int, a plugnet.random.SeedGenerator or None; got {seed!r}."
            )
        self._init_seed = seed
        # Unseeded: one seed drawn now from the global stream, reused by every call (Keras 3).
        self.seed = _random.draw_seed(None) if seed is None else seed

    def get_config(self) -> dict:
        seed = self._init_seed
        if isinstance(seed, _random.SeedGenerator):
            seed = {"class_name": "SeedGenerator", "config": seed.get_config()}
        return {"seed": seed}


@registry.register_serializable()
class RandomNormal(RandomInitializer):
    """Samples from N(mean, stddev²).

    Args:
        mean: the mean. stddev: the standard deviation.
        seed: an int (same values every call), a SeedGenerator (fresh values
            every call) or None.

    Example:
        >>> plugnet.initializers.RandomNormal(stddev=0.01, seed=1)((3, 4))
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.normal(shape, self.mean, self.stddev, standardize_dtype(dtype), self.seed)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register_serializable()
class TruncatedNormal(RandomInitializer):
    """Samples from N(mean, stddev²), redrawn until within two stddevs of the mean.

    Example:
        >>> plugnet.initializers.TruncatedNormal(stddev=0.02, seed=1)((3, 4))
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.truncated_normal(shape, self.mean, self.stddev, standardize_dtype(dtype), self.seed)

    def get_config(self) -> dict:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@registry.register_serializable()
class RandomUniform(RandomInitializer):
    """Samples from U[minval, maxval).

    Example:
        >>> plugnet.initializers.RandomUniform(-1.0, 1.0, seed=1)((3, 4))
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        return _random.uniform(shape, self.minval, self.maxval, standardize_dtype(dtype), self.seed)

    def get_config(self) -> dict:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")


@registry.register_serializable()
class VarianceScaling(RandomInitializer):
    """Samples whose variance is ``scale / n``, ``n`` being a fan of the shape.

    ``n`` is fan_in, fan_out or their average (``mode``; see
    :func:`compute_fans`). ``distribution="truncated_normal"`` (alias
    ``"normal"``) draws from a normal truncated at two stddevs, rescaled so the
    variance is exact; ``"untruncated_normal"`` from N(0, scale / n);
    ``"uniform"`` from U[-limit, limit] with ``limit = sqrt(3 * scale / n)``.

    Args:
        scale: a positive float. mode: "fan_in", "fan_out" or "fan_avg".
        distribution: see above. seed: an int, a SeedGenerator or None.

    Example:
        >>> init = VarianceScaling(scale=2.0, mode="fan_in", distribution="uniform")
        >>> kernel = init((784, 128))   # He-uniform
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        if not scale > 0:
            raise ValueError(f"VarianceScaling: `scale` must be a positive float; got scale={scale!r}.")
        if mode not in _MODES:
            raise ValueError(f"VarianceScaling: `mode` must be one of {', '.join(_MODES)}; got mode={mode!r}.")
        distribution = str(distribution).lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in _DISTRIBUTIONS:
            raise ValueError(
                f"VarianceScaling: `distribution` must be one of {', '.join(_DISTRIBUTIONS)} (or 'normal'); "
                f"got distribution={distribution!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = distribution
        super().__init__(seed)

    def __call__(self, shape, dtype=None):
        shape, dtype = tuple(shape), standardize_dtype(dtype)
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return _random.uniform(shape, -limit, limit, dtype, self.seed)
        if self.distribution == "untruncated_normal":
            return _random.normal(shape, 0.0, math.sqrt(variance), dtype, self.seed)
        return _random.truncated_normal(shape, 0.0, math.sqrt(variance) / _TRUNCATED_STDDEV, dtype, self.seed)

    def get_config(self) -> dict:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, **super().get_config()}


def _fixed_variance_scaling(name: str, scale: float, mode: str, distribution: str, doc: str):
    """A named VarianceScaling configuration whose config is only its seed."""

    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self) -> dict:
        return RandomInitializer.get_config(self)

    cls = type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})
    cls.__module__ = __name__
    return registry.register_serializable()(cls)


GlorotUniform = _fixed_variance_scaling(
    "GlorotUniform", 1.0, "fan_avg", "uniform",
    """Glorot (Xavier) uniform: U[-limit, limit], ``limit = sqrt(6 / (fan_in + fan_out))``.

    The default kernel initializer of Dense and Conv layers.

    Example:
        >>> plugnet.initializers.GlorotUniform(seed=0)((784, 128))
    """,
)
GlorotNormal = _fixed_variance_scaling(
    "GlorotNormal", 1.0, "fan_avg", "truncated_normal",
    """Glorot (Xavier) normal: truncated normal with ``stddev = sqrt(2 / (fan_in + fan_out))``.

    Example:
        >>> plugnet.initializers.GlorotNormal(seed=0)((784, 128))
    """,
)
HeNormal = _fixed_variance_scaling(
    "HeNormal", 2.0, "fan_in", "truncated_normal",
    """He normal: truncated normal with ``stddev = sqrt(2 / fan_in)``; suits ReLU layers.

    Example:
        >>> plugnet.initializers.HeNormal(seed=0)((3, 3, 16, 32))
    """,
)
HeUniform = _fixed_variance_scaling(
    "HeUniform", 2.0, "fan_in", "uniform",
    """He uniform: U[-limit, limit], ``limit = sqrt(6 / fan_in)``.

    Example:
        >>> plugnet.initializers.HeUniform(seed=0)((3, 3, 16, 32))
    """,
)
LecunNormal = _fixed_variance_scaling(
    "LecunNormal", 1.0, "fan_in", "truncated_normal",
    """Lecun normal: truncated normal with ``stddev = sqrt(1 / fan_in)``; suits SELU layers.

    Example:
        >>> plugnet.initializers.LecunNormal(seed=0)((64, 64))
    """,
)
LecunUniform = _fixed_variance_scaling(
    "LecunUniform", 1.0, "fan_in", "uniform",
    """Lecun uniform: U[-limit, limit], ``limit = sqrt(3 / fan_in)``.

    Example:
        >>> plugnet.initializers.LecunUniform(seed=0)((64, 64))
    """,
)

# Keras 3's lower-case aliases are the classes themselves.
zeros, ones, constant, identity = Zeros, Ones, Constant, IdentityInitializer
random_normal, random_uniform, truncated_normal = RandomNormal, RandomUniform, TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform, glorot_normal = GlorotUniform, GlorotNormal
he_normal, he_uniform, lecun_normal, lecun_uniform = HeNormal, HeUniform, LecunNormal, LecunUniform

_CLASSES = (
    Zeros, Ones, Constant, IdentityInitializer, RandomNormal, RandomUniform, TruncatedNormal,
    VarianceScaling, GlorotUniform, GlorotNormal, HeNormal, HeUniform, LecunNormal, LecunUniform,
)
NAMES: dict[str, type] = {cls.__name__: cls for cls in _CLASSES}
NAMES.update(
    zeros=Zeros, zero=Zeros, ones=Ones, one=Ones, constant=Constant, identity=IdentityInitializer,
    Identity=IdentityInitializer, random_normal=RandomNormal, normal=RandomNormal,
    random_uniform=RandomUniform, uniform=RandomUniform, truncated_normal=TruncatedNormal,
    variance_scaling=VarianceScaling, glorot_uniform=GlorotUniform, glorot_normal=GlorotNormal,
    he_normal=HeNormal, he_uniform=HeUniform, lecun_normal=LecunNormal, lecun_uniform=LecunUniform,
)


def get(identifier, custom_objects: dict | None = None):
    """An initializer from a name ("glorot_uniform", "HeNormal"), a class, an
    instance, a callable ``f(shape, dtype)`` or a serialized dict.

    >>> plugnet.initializers.get("he_normal")
    HeNormal(seed=None)
    """
    return registry.resolve(identifier, "initializer", NAMES, custom_objects)


def serialize(initializer) -> dict | str | None:
    return registry.serialize(initializer)


def deserialize(config, custom_objects: dict | None = None):
    if isinstance(config, str):
        return get(config, custom_objects)
    return registry.deserialize(config, custom_objects)
