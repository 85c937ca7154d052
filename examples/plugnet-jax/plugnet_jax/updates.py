"""Optimizer updates on whole lists of variables (JAX): one compiled function per formula.

The math is the frontend's (Keras's SGD and Adam, see ``BACKEND_API``). Run op
by op, an update costs a few small ops per variable, and eagerly each op of
each new shape is an XLA compilation of its own; here the whole step for
every variable is one ``jax.jit`` function, compiled once per list of shapes.
The new arrays go into the storages (inside a compiled step, into its trace).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from .core import tensor


def _gradients(grads, values):
    return [tensor(g).astype(v.dtype) for g, v in zip(grads, values)]


def _rate(value):
    """A rate as data (a Python float would be compiled in, once per value), exact in float64:
    each variable's formula casts it to its own dtype, as a Python float would be."""
    if isinstance(value, (int, float)):
        return jnp.asarray(np.asarray(value, np.float64), dtype=jnp.float64)
    return tensor(value)


@functools.partial(jax.jit, static_argnames="nesterov")
def _sgd(values, grads, velocities, lr, momentum, nesterov):
    steps = [g * lr.astype(g.dtype) for g in grads]
    if velocities is None:
        return [v - s for v, s in zip(values, steps)], None
    velocities = [u * momentum.astype(u.dtype) - s for u, s in zip(velocities, steps)]
    if nesterov:
        values = [v + u * momentum.astype(u.dtype) - s for v, u, s in zip(values, velocities, steps)]
    else:
        values = [v + u for v, u in zip(values, velocities)]
    return values, velocities


def sgd_update(variables, grads, velocities, learning_rate, momentum, nesterov):
    values = [s.value for s in variables]
    new_values, new_velocities = _sgd(values, _gradients(grads, values),
                                      None if velocities is None else [s.value for s in velocities],
                                      _rate(learning_rate), _rate(momentum), bool(nesterov))
    for storage, value in zip(variables, new_values):
        storage.value = value
    for storage, value in zip(velocities or (), new_velocities or ()):
        storage.value = value


@jax.jit
def _adam(values, grads, ms, vs, alpha, one_minus_beta_1, one_minus_beta_2, epsilon):
    new_values, new_ms, new_vs = [], [], []
    for value, g, m, v in zip(values, grads, ms, vs):
        dt = value.dtype
        m = m + (g - m) * one_minus_beta_1.astype(dt)
        v = v + (jnp.square(g) - v) * one_minus_beta_2.astype(dt)
        new_values.append(value - alpha.astype(dt) * m / (jnp.sqrt(v) + epsilon.astype(dt)))
        new_ms.append(m)
        new_vs.append(v)
    return new_values, new_ms, new_vs


def adam_update(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon):
    values = [s.value for s in variables]
    new_values, new_ms, new_vs = _adam(values, _gradients(grads, values), [s.value for s in ms],
                                       [s.value for s in vs], _rate(alpha), _rate(1.0 - beta_1),
                                       _rate(1.0 - beta_2), _rate(epsilon))
    for storages, arrays in ((variables, new_values), (ms, new_ms), (vs, new_vs)):
        for storage, array in zip(storages, arrays):
            storage.value = array
