"""Adagrad: per-coordinate rates shrinking with the accumulated squared gradients."""

from __future__ import annotations

from plugnet import initializers
from plugnet import ops
from plugnet import registry
from plugnet.optimizers.base import Optimizer


@registry.register_serializable()
class Adagrad(Optimizer):
    """Adagrad, as Keras 3 computes it (``epsilon`` inside the square root)::

        accumulator += g**2                       # starts at initial_accumulator_value
        w -= learning_rate * g / sqrt(accumulator + epsilon)

    Args:
        learning_rate: a float, a LearningRateSchedule or a callable. Defaults
            to 0.001 (Adagrad often wants more; the paper's form uses 1.0).
        initial_accumulator_value: the accumulators' starting value (>= 0).
        epsilon: a small constant for numerical stability.
        name: the optimizer's name.
        **kwargs: the :class:`~plugnet.optimizers.Optimizer` arguments.

    Example:
        >>> optimizer = plugnet.optimizers.Adagrad(learning_rate=0.1)
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, name="adagrad", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        if initial_accumulator_value < 0:
            raise ValueError(
                "Adagrad: `initial_accumulator_value` must be non-negative. "
                f"Received: initial_accumulator_value={initial_accumulator_value!r}"
            )
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list) -> None:
        """Create one ``accumulator`` slot per variable, filled with ``initial_accumulator_value``."""
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(
            var_list, "accumulator", initializer=initializers.Constant(self.initial_accumulator_value)
        )

    def update_step(self, gradient, variable, learning_rate) -> None:
        accumulator = self._accumulators[self._get_variable_index(variable)]
        self.assign_add(accumulator, ops.square(gradient))
        denominator = ops.sqrt(ops.add(accumulator.value, self.epsilon))
        self.assign_sub(variable, ops.divide(ops.multiply(learning_rate, gradient), denominator))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return config
