"""Optimizer updates on whole lists of variables (NumPy, the reference).

The math is Keras's SGD and Adam, as ``BACKEND_API`` states it. Storages are
updated in place, with the temporaries each formula needs written into one
scratch array per variable instead of a new array per operation.
"""

from __future__ import annotations

import numpy as np


def _scalar(value):
    return float(value) if np.ndim(value) == 0 else np.asarray(value)


def sgd_update(variables, grads, velocities, learning_rate, momentum, nesterov):
    lr = _scalar(learning_rate)
    for i, (variable, grad) in enumerate(zip(variables, grads)):
        step = np.multiply(grad, lr, dtype=variable.dtype)
        if velocities is None:
            variable -= step
            continue
        velocity = velocities[i]
        velocity *= momentum
        velocity -= step
        if nesterov:
            step -= velocity * momentum
            variable -= step
        else:
            variable += velocity


def adam_update(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon):
    alpha = _scalar(alpha)
    for variable, grad, m, v in zip(variables, grads, ms, vs):
        grad = np.asarray(grad, dtype=variable.dtype)
        scratch = np.subtract(grad, m)
        scratch *= 1.0 - beta_1
        m += scratch
        np.square(grad, out=scratch)
        scratch -= v
        scratch *= 1.0 - beta_2
        v += scratch
        np.sqrt(v, out=scratch)
        scratch += epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= alpha
        variable -= scratch
