"""RMSprop: gradients divided by a running root-mean-square."""

from __future__ import annotations

from plugnet import ops
from plugnet import registry
from plugnet.optimizers.base import Optimizer


@registry.register_serializable()
class RMSprop(Optimizer):
    """RMSprop, as Keras 3 computes it (``epsilon`` inside the square root)::

        v = rho * v + (1 - rho) * g**2
        a = rho * a + (1 - rho) * g                       # centered=True only
        denominator = v - a**2 + epsilon if centered else v + epsilon
        increment = learning_rate * g / sqrt(denominator)
        w -= increment                                    # momentum == 0
        mom = momentum * mom + increment; w -= mom        # momentum > 0

    Args:
        learning_rate: a float, a LearningRateSchedule or a callable. Defaults to 0.001.
        rho: the discounting factor of the squared-gradient average.
        momentum: plain (not Nesterov) momentum; 0 creates no slot.
        epsilon: a small constant for numerical stability.
        centered: normalize by the estimated variance of the gradient instead
            of its uncentered second moment.
        name: the optimizer's name.
        **kwargs: the :class:`~plugnet.optimizers.Optimizer` arguments.

    Example:
        >>> optimizer = plugnet.optimizers.RMSprop(learning_rate=1e-3, centered=True)
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(
        self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, name="rmsprop", **kwargs
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if momentum < 0:
            raise ValueError(f"RMSprop: `momentum` must be >= 0. Received: momentum={momentum!r}")
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = bool(centered)

    def build(self, var_list) -> None:
        """Create ``velocity`` slots, plus ``momentum`` (momentum > 0) and ``average_gradient`` (centered)."""
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient") if self.centered else []

    def update_step(self, gradient, variable, learning_rate) -> None:
        i = self._get_variable_index(variable)
        rho = self.rho
        velocity = self._velocities[i]
        self.assign(velocity, ops.add(ops.multiply(rho, velocity.value), ops.multiply(1.0 - rho, ops.square(gradient))))
        if self.centered:
            average = self._average_gradients[i]
            self.assign(average, ops.add(ops.multiply(rho, average.value), ops.multiply(1.0 - rho, gradient)))
            denominator = ops.add(ops.subtract(velocity.value, ops.square(average.value)), self.epsilon)
        else:
            denominator = ops.add(velocity.value, self.epsilon)
        increment = ops.divide(ops.multiply(learning_rate, gradient), ops.sqrt(denominator))
        if self._momentums:
            momentum = self._momentums[i]
            self.assign(momentum, ops.add(ops.multiply(self.momentum, momentum.value), increment))
            self.assign_sub(variable, momentum.value)
        else:
            self.assign_sub(variable, increment)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return config
