"""SGD: gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from plugnet import backend as _backend
from plugnet import ops
from plugnet import registry
from plugnet.optimizers.base import Optimizer


@registry.register_serializable()
class SGD(Optimizer):
    """Gradient descent with optional momentum, as Keras 3 computes it.

    Without momentum: ``w -= learning_rate * g``. With momentum::

        velocity = momentum * velocity - learning_rate * g
        w += velocity                                          # nesterov=False
        w += momentum * velocity - learning_rate * g           # nesterov=True

    Args:
        learning_rate: a float, a LearningRateSchedule or a callable. Defaults to 0.01.
        momentum: a float in [0, 1]; 0 is plain gradient descent (no slot is created).
        nesterov: whether to apply Nesterov momentum.
        name: the optimizer's name.
        **kwargs: the :class:`~plugnet.optimizers.Optimizer` arguments
            (``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``,
            ``use_ema``, ``ema_momentum``, ``ema_overwrite_frequency``,
            ``loss_scale_factor``, ``gradient_accumulation_steps``).

    Example:
        >>> optimizer = plugnet.optimizers.SGD(learning_rate=0.1, momentum=0.9)
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, name="SGD", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) or not 0 <= momentum <= 1:
            raise ValueError(f"SGD: `momentum` must be a float between [0, 1]. Received: momentum={momentum!r}")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, var_list) -> None:
        """Create one ``momentum`` slot per variable (none when ``momentum`` is 0)."""
        if self.built:
            return
        super().build(var_list)
        self.momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum != 0 else []

    def _fused_update(self, grads, variables, learning_rate) -> bool:
        kernel = _backend.active().sgd_update
        if kernel is None or type(self).update_step is not SGD.update_step:
            return False
        velocities = self._slots(self.momentums, variables) if self.momentums else None
        kernel([v._value for v in variables], grads, velocities, learning_rate, self.momentum, self.nesterov)
        return True

    def update_step(self, gradient, variable, learning_rate) -> None:
        step = ops.multiply(gradient, learning_rate)
        if not self.momentums:
            self.assign_sub(variable, step)
            return
        velocity = self.momentums[self._get_variable_index(variable)]
        momentum = self.momentum
        self.assign(velocity, ops.subtract(ops.multiply(velocity.value, momentum), step))
        if self.nesterov:
            self.assign_add(variable, ops.subtract(ops.multiply(velocity.value, momentum), step))
        else:
            self.assign_add(variable, velocity.value)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return config
