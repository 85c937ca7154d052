"""Learning-rate schedules (``plugnet.optimizers.schedules``), as in Keras 3.

A schedule maps the optimizer's step count to a learning rate. Give one to any
optimizer as ``learning_rate``; the optimizer evaluates it at
``optimizer.iterations`` once per step::

    schedule = plugnet.optimizers.schedules.ExponentialDecay(0.1, decay_steps=1000, decay_rate=0.96)
    optimizer = plugnet.optimizers.SGD(learning_rate=schedule)

Every schedule computes with ``plugnet.ops``, so it runs on any backend, and
returns a float32 scalar tensor.
"""

from __future__ import annotations

import math

from plugnet import ops
from plugnet import registry

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "InverseTimeDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


class LearningRateSchedule:
    """Base class of learning-rate schedules.

    A subclass implements ``__call__(step)``, where ``step`` is the optimizer's
    step count (a scalar integer tensor), and ``get_config()`` to be saved
    with a model (register it with ``plugnet.registry.register_serializable``).

    Example:
        >>> @plugnet.registry.register_serializable()
        ... class InverseStep(LearningRateSchedule):
        ...     def __init__(self, initial_learning_rate):
        ...         self.initial_learning_rate = initial_learning_rate
        ...     def __call__(self, step):
        ...         return self.initial_learning_rate / (ops.cast(step, "float32") + 1)
        ...     def get_config(self):
        ...         return {"initial_learning_rate": self.initial_learning_rate}
        >>> optimizer = plugnet.optimizers.SGD(learning_rate=InverseStep(0.1))
    """

    def __call__(self, step):
        raise NotImplementedError(f"Learning rate schedule {type(self).__name__!r} must override `__call__(step)`.")

    def get_config(self) -> dict:
        raise NotImplementedError(
            f"Learning rate schedule {type(self).__name__!r} must override `get_config()` in order to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict):
        """The schedule ``get_config()`` describes."""
        return cls(**config)


def _check_positive(owner: str, argument: str, value) -> None:
    if value <= 0:
        raise ValueError(f"{owner}: argument `{argument}` must be > 0. Received: {argument}={value}")


def _float_step(step, dtype: str):
    return ops.cast(step, dtype)


class _RateDecay(LearningRateSchedule):
    """What ExponentialDecay and InverseTimeDecay share: their arguments and the
    decay progress ``step / decay_steps`` (floored when ``staircase``)."""

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase, name):
        _check_positive(type(self).__name__, "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def _progress(self, step):
        """(initial rate, progress) as float32 tensors."""
        initial = ops.convert_to_tensor(self.initial_learning_rate, "float32")
        p = ops.divide(_float_step(step, "float32"), ops.convert_to_tensor(self.decay_steps, "float32"))
        return initial, ops.floor(p) if self.staircase else p

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


@registry.register_serializable()
class ExponentialDecay(_RateDecay):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps; the rate is multiplied by
            ``decay_rate`` every ``decay_steps`` steps.
        decay_rate: the factor applied every ``decay_steps`` steps.
        staircase: if True, decay in discrete jumps (``step // decay_steps``).
        name: the schedule's name.

    Example:
        >>> schedule = ExponentialDecay(0.1, decay_steps=100, decay_rate=0.5, staircase=True)
        >>> schedule(250)   # 0.1 * 0.5 ** 2 = 0.025
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="ExponentialDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        initial, p = self._progress(step)
        return ops.multiply(initial, ops.power(ops.convert_to_tensor(self.decay_rate, "float32"), p))


@registry.register_serializable()
class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant learning rate per interval of steps.

    The rate is ``values[0]`` while ``step <= boundaries[0]``, ``values[i]``
    while ``boundaries[i - 1] < step <= boundaries[i]``, and ``values[-1]``
    once ``step > boundaries[-1]``.

    Args:
        boundaries: strictly increasing step counts.
        values: one more value than ``boundaries``.
        name: the schedule's name.

    Example:
        >>> schedule = PiecewiseConstantDecay([100, 200], [1.0, 0.5, 0.1])
        >>> [schedule(s) for s in (100, 101, 201)]   # 1.0, 0.5, 0.1
    """

    def __init__(self, boundaries, values, name="PiecewiseConstant"):
        if len(boundaries) != len(values) - 1:
            raise ValueError(
                "PiecewiseConstantDecay: the length of boundaries should be 1 less than the length of values. "
                f"Received: boundaries={boundaries} of length {len(boundaries)}, "
                f"and values={values} of length {len(values)}."
            )
        if any(low >= high for low, high in zip(boundaries, boundaries[1:])):
            raise ValueError(f"PiecewiseConstantDecay: boundaries must be strictly increasing. Received: {boundaries}")
        self.boundaries = list(boundaries)
        self.values = list(values)
        self.name = name

    def __call__(self, step):
        step = ops.convert_to_tensor(step)
        result = ops.convert_to_tensor(self.values[-1], "float32")
        # Walk the intervals from the last: each boundary claims the steps at or below it.
        for boundary, value in zip(reversed(self.boundaries), reversed(self.values[:-1])):
            result = ops.where(ops.less_equal(step, boundary), ops.convert_to_tensor(value, "float32"), result)
        return result

    def get_config(self) -> dict:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


@registry.register_serializable()
class PolynomialDecay(LearningRateSchedule):
    """A polynomial decay from ``initial_learning_rate`` to ``end_learning_rate`` over ``decay_steps``.

    ``(initial - end) * (1 - min(step, decay_steps) / decay_steps) ** power + end``.
    With ``cycle=True``, ``decay_steps`` is stretched to the first multiple of
    itself at or above ``step``, so the decay restarts.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps.
        end_learning_rate: the final learning rate.
        power: the polynomial's power (1.0 is linear).
        cycle: whether to cycle beyond ``decay_steps``.
        name: the schedule's name.

    Example:
        >>> schedule = PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0)
        >>> schedule(5)   # halfway: 0.05
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        end_learning_rate=0.0001,
        power=1.0,
        cycle=False,
        name="PolynomialDecay",
    ):
        _check_positive("PolynomialDecay", "decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step):
        step = _float_step(step, "float32")
        decay_steps = ops.convert_to_tensor(self.decay_steps, "float32")
        if self.cycle:
            # Step 0 counts as inside the first cycle, not before it.
            multiplier = ops.where(ops.equal(step, 0), 1.0, ops.ceil(ops.divide(step, decay_steps)))
            decay_steps = ops.multiply(decay_steps, multiplier)
        else:
            step = ops.minimum(step, decay_steps)
        remaining = ops.subtract(1.0, ops.divide(step, decay_steps))
        span = ops.convert_to_tensor(self.initial_learning_rate - self.end_learning_rate, "float32")
        decayed = ops.multiply(span, ops.power(remaining, ops.convert_to_tensor(self.power, "float32")))
        return ops.add(decayed, ops.convert_to_tensor(self.end_learning_rate, "float32"))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


@registry.register_serializable()
class InverseTimeDecay(_RateDecay):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps.
        decay_rate: the decay rate.
        staircase: if True, use ``floor(step / decay_steps)``.
        name: the schedule's name.

    Example:
        >>> schedule = InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)
        >>> schedule(2)   # 0.1 / (1 + 0.5 * 2) = 0.05
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False, name="InverseTimeDecay"):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name)

    def __call__(self, step):
        initial, p = self._progress(step)
        denominator = ops.add(1.0, ops.multiply(ops.convert_to_tensor(self.decay_rate, "float32"), p))
        return ops.divide(initial, denominator)


def _cosine_factor(fraction, alpha: float, scale=None):
    """``(1 - alpha) * scale * 0.5 * (1 + cos(pi * fraction)) + alpha`` (``scale`` a tensor or None for 1)."""
    cosine = ops.multiply(0.5, ops.add(1.0, ops.cos(ops.multiply(math.pi, fraction))))
    if scale is not None:
        cosine = ops.multiply(cosine, scale)
    return ops.add(ops.multiply(1.0 - alpha, cosine), alpha)


@registry.register_serializable()
class CosineDecay(LearningRateSchedule):
    """A cosine decay, optionally after a linear warmup.

    Without warmup (``warmup_target=None``) the rate goes from
    ``initial_learning_rate`` to ``initial_learning_rate * alpha`` over
    ``decay_steps``::

        step = min(step, decay_steps)
        rate = initial_learning_rate * ((1 - alpha) * 0.5 * (1 + cos(pi * step / decay_steps)) + alpha)

    With a ``warmup_target`` it first rises linearly from
    ``initial_learning_rate`` to ``warmup_target`` over ``warmup_steps``, then
    decays from ``warmup_target`` to ``warmup_target * alpha`` over the next
    ``decay_steps``.

    Args:
        initial_learning_rate: the learning rate at step 0.
        decay_steps: a positive number of steps to decay over.
        alpha: the final rate as a fraction of the decay's starting rate.
        name: the schedule's name.
        warmup_target: the rate reached at the end of warmup, or None for no warmup.
        warmup_steps: the number of warmup steps.

    Example:
        >>> schedule = CosineDecay(0.0, decay_steps=100, warmup_target=0.1, warmup_steps=10)
        >>> schedule(5), schedule(10)   # halfway through warmup: 0.05; its end: 0.1
    """

    def __init__(
        self,
        initial_learning_rate,
        decay_steps,
        alpha=0.0,
        name="CosineDecay",
        warmup_target=None,
        warmup_steps=0,
    ):
        _check_positive("CosineDecay", "decay_steps", decay_steps)
        if warmup_steps < 0:
            raise ValueError(f"CosineDecay: argument `warmup_steps` must be >= 0. Received: {warmup_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_target = warmup_target
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        initial = ops.convert_to_tensor(self.initial_learning_rate, "float32")
        step = _float_step(step, "float32")
        if self.warmup_target is None:
            step = ops.minimum(step, float(self.decay_steps))
            return ops.multiply(initial, _cosine_factor(ops.divide(step, float(self.decay_steps)), self.alpha))
        target = ops.convert_to_tensor(self.warmup_target, "float32")
        step = ops.minimum(step, float(self.decay_steps + self.warmup_steps))
        # Both branches are computed and one is selected; a zero-length warmup
        # divides by 1 instead of 0 (that branch is never selected then).
        warmup_fraction = ops.divide(step, float(max(self.warmup_steps, 1)))
        warmup = ops.add(ops.multiply(ops.subtract(target, initial), warmup_fraction), initial)
        decay_fraction = ops.divide(ops.subtract(step, float(self.warmup_steps)), float(self.decay_steps))
        decayed = ops.multiply(target, _cosine_factor(decay_fraction, self.alpha))
        return ops.where(ops.less(step, float(self.warmup_steps)), warmup, decayed)

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


@registry.register_serializable()
class CosineDecayRestarts(LearningRateSchedule):
    """A cosine decay with warm restarts (SGDR).

    The rate decays from ``initial_learning_rate`` to ``alpha`` times it over
    ``first_decay_steps``, then restarts; each period lasts ``t_mul`` times the
    previous one and starts at ``m_mul`` times the previous starting rate.

    Args:
        initial_learning_rate: the learning rate at step 0.
        first_decay_steps: a positive number of steps in the first period.
        t_mul: the growth of each period's length.
        m_mul: the factor on each period's starting rate.
        alpha: the minimum rate, as a fraction of ``initial_learning_rate``.
        name: the schedule's name.

    Example:
        >>> schedule = CosineDecayRestarts(0.1, first_decay_steps=10, t_mul=1.0)
        >>> schedule(10)   # the start of the second period: 0.1 again
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0, name="SGDRDecay"):
        _check_positive("CosineDecayRestarts", "first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def __call__(self, step):
        initial = ops.convert_to_tensor(self.initial_learning_rate, "float32")
        fraction = ops.divide(_float_step(step, "float32"), float(self.first_decay_steps))
        t_mul = float(self._t_mul)
        if t_mul == 1.0:
            restart = ops.floor(fraction)
            fraction = ops.subtract(fraction, restart)
        else:
            # Periods last 1, t, t**2, ... (in units of first_decay_steps): the
            # restart index solves the geometric sum (1 - t**i) / (1 - t) <= fraction.
            log_arg = ops.subtract(1.0, ops.multiply(fraction, 1.0 - t_mul))
            restart = ops.floor(ops.divide(ops.log(log_arg), math.log(t_mul)))
            period_scale = ops.power(ops.convert_to_tensor(t_mul, "float32"), restart)
            elapsed = ops.divide(ops.subtract(1.0, period_scale), 1.0 - t_mul)
            fraction = ops.divide(ops.subtract(fraction, elapsed), period_scale)
        m_factor = ops.power(ops.convert_to_tensor(self._m_mul, "float32"), restart)
        return ops.multiply(initial, _cosine_factor(fraction, self.alpha, scale=m_factor))

    def get_config(self) -> dict:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self._t_mul,
            "m_mul": self._m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


def serialize(learning_rate_schedule) -> dict:
    """``{"class_name": ..., "config": ...}`` for a schedule."""
    if not isinstance(learning_rate_schedule, LearningRateSchedule):
        raise TypeError(f"serialize() expects a LearningRateSchedule, got {learning_rate_schedule!r}.")
    return registry.serialize(learning_rate_schedule)


def deserialize(config: dict, custom_objects: dict | None = None) -> LearningRateSchedule:
    """The schedule that :func:`serialize` described."""
    schedule = registry.deserialize(config, custom_objects)
    if not isinstance(schedule, LearningRateSchedule):
        raise ValueError(f"{config!r} does not describe a LearningRateSchedule (it made {schedule!r}).")
    return schedule
