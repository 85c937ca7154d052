"""Adam: adaptive moment estimation (with optional AMSGrad)."""

from __future__ import annotations

from plugnet import backend as _backend
from plugnet import ops
from plugnet import registry
from plugnet.dtypes import floatx
from plugnet.optimizers.base import Optimizer


@registry.register_serializable()
class Adam(Optimizer):
    """Adam, with the bias correction folded into the step size as Keras 3 does it.

    At step ``t`` (1 for the first update)::

        m = m + (g - m) * (1 - beta_1)
        v = v + (g**2 - v) * (1 - beta_2)
        v_hat = max(v_hat, v)                 # amsgrad=True only; v_hat replaces v below
        alpha = learning_rate * sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w -= alpha * m / (sqrt(v) + epsilon)

    ``epsilon`` is added outside the square root and is not bias-corrected
    ("epsilon hat" in the paper).

    Args:
        learning_rate: a float, a LearningRateSchedule or a callable. Defaults to 0.001.
        beta_1: the decay rate of the first-moment estimate.
        beta_2: the decay rate of the second-moment estimate.
        epsilon: a small constant for numerical stability.
        amsgrad: whether to use the AMSGrad variant (keeps the running maximum of ``v``).
        name: the optimizer's name.
        **kwargs: the :class:`~plugnet.optimizers.Optimizer` arguments
            (``weight_decay``, ``clipnorm``, ``clipvalue``, ``global_clipnorm``, ...).

    Example:
        >>> optimizer = plugnet.optimizers.Adam(learning_rate=1e-3)
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(
        self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, name="adam", **kwargs
    ):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = bool(amsgrad)
        self._alpha = None

    def build(self, var_list) -> None:
        """Create ``momentum`` and ``velocity`` slots per variable (and ``velocity_hat`` with amsgrad)."""
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _prepare_step(self, learning_rate) -> None:
        # The bias correction is the same for every variable: computed once per step.
        t = ops.cast(ops.add(self._step_count(), 1), floatx())
        beta_1_power = ops.power(ops.convert_to_tensor(self.beta_1, floatx()), t)
        beta_2_power = ops.power(ops.convert_to_tensor(self.beta_2, floatx()), t)
        correction = ops.divide(ops.sqrt(ops.subtract(1.0, beta_2_power)), ops.subtract(1.0, beta_1_power))
        self._alpha = ops.multiply(learning_rate, correction)

    def _fused_update(self, grads, variables, learning_rate) -> bool:
        kernel = _backend.active().adam_update
        if kernel is None or self.amsgrad or type(self).update_step is not Adam.update_step:
            return False
        kernel([v._value for v in variables], grads, self._slots(self._momentums, variables),
               self._slots(self._velocities, variables), self._alpha, self.beta_1, self.beta_2, self.epsilon)
        return True

    def update_step(self, gradient, variable, learning_rate) -> None:
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        self.assign_add(m, ops.multiply(ops.subtract(gradient, m.value), 1.0 - self.beta_1))
        self.assign_add(v, ops.multiply(ops.subtract(ops.square(gradient), v.value), 1.0 - self.beta_2))
        if self.amsgrad:
            v_hat = self._velocity_hats[i]
            self.assign(v_hat, ops.maximum(v_hat.value, v.value))
            v = v_hat
        denominator = ops.add(ops.sqrt(v.value), self.epsilon)
        self.assign_sub(variable, ops.divide(ops.multiply(m.value, self._alpha), denominator))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return config
