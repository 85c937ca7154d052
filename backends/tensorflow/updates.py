"""Optimizer updates on whole lists of variables (TensorFlow): its fused training kernels.

``ResourceApplyKerasMomentum`` and ``ResourceApplyAdam`` compute exactly the
Keras formulas that ``BACKEND_API`` states, one kernel per variable instead of
a handful of small ops (fewer nodes in a traced step, fewer dispatches in an
eager one). ``ResourceApplyAdam`` is given ``beta_power = 0`` so that its own
bias correction is 1 and the learning rate it uses is the frontend's ``alpha``.
"""

from __future__ import annotations

import tensorflow as tf

from .core import read, tensor


def _cast(value, dtype):
    value = tensor(value)
    return value if value.dtype == dtype else tf.cast(value, dtype)


class _PerDtype:
    """The step's scalars (a learning-rate Variable, Python numbers) as tensors of each variable's
    dtype, made once per call: a Variable read per variable would be an op per variable."""

    def __init__(self, **values):
        self._values, self._made = values, {}

    def __call__(self, dtype) -> dict:
        made = self._made.get(dtype)
        if made is None:
            made = self._made[dtype] = {name: _cast(read(value), dtype) for name, value in self._values.items()}
        return made


def sgd_update(variables, grads, velocities, learning_rate, momentum, nesterov):
    scalars = _PerDtype(lr=learning_rate, momentum=momentum)
    for i, (variable, grad) in enumerate(zip(variables, grads)):
        dtype = variable.dtype
        s, grad = scalars(dtype), _cast(grad, dtype)
        if velocities is None:
            tf.raw_ops.ResourceApplyGradientDescent(var=variable.handle, alpha=s["lr"], delta=grad)
        else:
            tf.raw_ops.ResourceApplyKerasMomentum(var=variable.handle, accum=velocities[i].handle, lr=s["lr"],
                                                  grad=grad, momentum=s["momentum"], use_nesterov=nesterov)


def adam_update(variables, grads, ms, vs, alpha, beta_1, beta_2, epsilon):
    scalars = _PerDtype(zero=0.0, alpha=alpha, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon)
    for variable, grad, m, v in zip(variables, grads, ms, vs):
        s = scalars(variable.dtype)
        tf.raw_ops.ResourceApplyAdam(var=variable.handle, m=m.handle, v=v.handle, beta1_power=s["zero"],
                                     beta2_power=s["zero"], lr=s["alpha"], beta1=s["beta_1"], beta2=s["beta_2"],
                                     epsilon=s["epsilon"], grad=_cast(grad, variable.dtype))
