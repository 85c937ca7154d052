"""Seeded sampling and dropout (torch).

An int ``seed`` draws from a fresh generator seeded with it, so the same seed
gives the same numbers on every call; ``None`` draws from torch's global
generator (which ``set_seed`` seeds). Samples are made on the current device.
"""

from __future__ import annotations

import math

import torch

from plugnet.plugins.nn_args import noise_shape as noise_shape_of

from .core import Tensor, as_shape, floating, placement, tensor, torch_dtype


def _generator(seed, device):
    if seed is None:
        return None
    return torch.Generator(device=device).manual_seed(int(seed))


def _float_dtype(op, dtype):
    dt = torch_dtype(dtype)
    if not dt.is_floating_point:
        raise ValueError(f"{op}: `dtype` must be a float type, got {str(dt)[len('torch.'):]!r} "
                         f"(use randint for integers).")
    return dt


def _scaled(z, scale, offset):
    """``z * scale + offset``, in place when both are numbers."""
    if isinstance(scale, (Tensor, list, tuple)) or isinstance(offset, (Tensor, list, tuple)):
        return z * tensor(scale) + tensor(offset)
    return z.mul_(scale).add_(offset)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = _float_dtype("random_normal", dtype)
    device = placement.device
    z = torch.randn(as_shape(shape), generator=_generator(seed, device), dtype=dt, device=device)
    return _scaled(z, stddev, mean)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    dt = _float_dtype("random_uniform", dtype)
    device = placement.device
    u = torch.rand(as_shape(shape), generator=_generator(seed, device), dtype=dt, device=device)
    if isinstance(maxval, Tensor) or isinstance(minval, Tensor):
        return u * (tensor(maxval) - tensor(minval)) + tensor(minval)
    return _scaled(u, maxval - minval, minval)


_LOW = 0.5 * math.erfc(2 / math.sqrt(2))  # P(z < -2) for a standard normal


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    dt = _float_dtype("truncated_normal", dtype)
    device = placement.device
    # Inverse-CDF sampling of the normal cut at +-2: one pass, no redrawing loop.
    work = torch.float64 if dt is torch.float64 else torch.float32
    u = torch.rand(as_shape(shape), generator=_generator(seed, device), dtype=work, device=device)
    u = u.mul_(1 - 2 * _LOW).add_(_LOW)
    z = torch.erfinv(u.mul_(2).sub_(1)).mul_(math.sqrt(2)).clamp_(-2.0, 2.0)
    return _scaled(z, stddev, mean).to(dt)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    dt = torch_dtype("int32" if dtype is None else dtype)
    if dt.is_floating_point or dt.is_complex or dt is torch.bool:
        raise ValueError(f"randint: `dtype` must be an integer type, got {str(dt)[len('torch.'):]!r}.")
    device = placement.device
    return torch.randint(int(minval), int(maxval), as_shape(shape), generator=_generator(seed, device),
                         dtype=dt, device=device)


def dropout(inputs, rate, noise_shape=None, seed=None):
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"dropout: `rate` must be in [0, 1), got {rate}.")
    x = floating(tensor(inputs))
    if rate == 0.0:
        return x
    shape = noise_shape_of("dropout", x.shape, noise_shape)
    draws = torch.rand(shape, generator=_generator(seed, x.device), device=x.device)
    # autograd keeps the mask for the backward pass, whatever the seed.
    keep = (draws >= rate).to(x.dtype).mul_(1.0 / (1.0 - rate))
    return x * keep
