"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from plugnet import registry
from plugnet.optimizers.adam import Adam


@registry.register_serializable()
class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Each step first shrinks every variable not excluded with
    :meth:`exclude_from_weight_decay`: ``w -= w * weight_decay * learning_rate``,
    then applies the :class:`Adam` update.

    Args:
        learning_rate: a float, a LearningRateSchedule or a callable. Defaults to 0.001.
        weight_decay: the decay rate (required, defaults to 0.004).
        beta_1, beta_2, epsilon, amsgrad: as for :class:`Adam`.
        name: the optimizer's name.
        **kwargs: the other :class:`~plugnet.optimizers.Optimizer` arguments.

    Example:
        >>> optimizer = plugnet.optimizers.AdamW(learning_rate=1e-3, weight_decay=0.01)
        >>> optimizer.exclude_from_weight_decay(var_names=["bias"])
        >>> optimizer.apply_gradients(zip(grads, model.trainable_variables))
    """

    def __init__(
        self,
        learning_rate=0.001,
        weight_decay=0.004,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        amsgrad=False,
        name="adamw",
        **kwargs,
    ):
        if weight_decay is None:
            raise ValueError("AdamW: argument `weight_decay` must be a float. Received: weight_decay=None")
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            name=name,
            **kwargs,
        )
