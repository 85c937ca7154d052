"""Optimizer updates on whole lists of variables (TensorFlow): its fused training kernels.

``ResourceApplyKerasMomentum`` and ``ResourceApplyAdam`` compute exactly the
Keras formulas that ``BACKEND_API`` states, one kernel per variable instead of
a handful of small ops (fewer nodes in a traced step, fewer dispatches in an
eager one). ``ResourceApplyAdam`` is given ``beta_power = 0`` so that its own
bias correction is 1 and the learning rate it uses is the frontend's ``alpha``.
"""

from __future__ import annotations

import tensorflow as tf

from .core import tensor


def _cast(value, dtype):
    value = tensor(value)
    return value if value.dtype == dtype else tf.cast(value, dtype)


def sgd_update(variables, grads, velocities, learning_rate, momentum, nesterov):
    for i, (variable, grad) in enumerate(zip(variables, grads)):
        dtype = variable.dtype
        lr, grad = _cast(learning_rate, dtype), _cast(grad, dtype)
        if velocities is None:
            tf.raw_ops.ResourceApplyGradientDescent(var=variable.handle, alpha=lr, delta=grad)
        else:
            tf.raw_ops.ResourceApplyKerasMomentum(var=variable.handle, accum=velocities[i].handle, lr=lr, grad=grad,
                                                  momentum=tf.constant(momentum, dtype), use_nesterov=nesterov)


def adam_update(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon):
    for variable, grad, m, v in zip(variables, grads, ms, vs):
        dtype = variable.dtype
        zero = tf.constant(0, dtype)
        tf.raw_ops.ResourceApplyAdam(var=variable.handle, m=m.handle, v=v.handle, beta1_power=zero, beta2_power=zero,
                                     lr=_cast(alpha, dtype), beta1=tf.constant(beta_1, dtype),
                                     beta2=tf.constant(beta_2, dtype), epsilon=tf.constant(epsilon, dtype),
                                     grad=_cast(grad, dtype))
