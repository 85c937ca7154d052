"""Learning-rate schedules against the Keras 3 formulas written in plain Python."""

import math

import numpy as np
import pytest

from plugnet import ops
from plugnet.optimizers import schedules

STEPS = [0, 1, 3, 5, 10, 17, 25, 40]


def values(schedule, steps=STEPS):
    # The optimizer passes its int64 step counter; do the same.
    out = []
    for step in steps:
        value = schedule(ops.convert_to_tensor(np.int64(step)))
        assert ops.dtype(value) == "float32"
        out.append(float(value))
    return out


def check(schedule, formula, steps=STEPS):
    np.testing.assert_allclose(values(schedule, steps), [formula(s) for s in steps], rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("staircase", [False, True])
def test_exponential_decay(staircase):
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=staircase)
    check(schedule, lambda s: 0.1 * 0.5 ** ((s // 10) if staircase else s / 10))


def test_piecewise_constant_decay_boundaries_belong_to_the_left_interval():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[5, 10], values=[1.0, 0.5, 0.1])
    assert values(schedule, [0, 5, 6, 10, 11, 100]) == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.1, 0.1])


def test_piecewise_constant_decay_checks_its_lists():
    with pytest.raises(ValueError, match="1 less than the length of values"):
        schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5])
    with pytest.raises(ValueError, match="strictly increasing"):
        schedules.PiecewiseConstantDecay([10, 5], [1.0, 0.5, 0.1])


@pytest.mark.parametrize("power", [1.0, 0.5, 2.0])
def test_polynomial_decay(power):
    schedule = schedules.PolynomialDecay(0.1, decay_steps=20, end_learning_rate=0.01, power=power)
    check(schedule, lambda s: (0.1 - 0.01) * (1 - min(s, 20) / 20) ** power + 0.01)


def test_polynomial_decay_cycle():
    schedule = schedules.PolynomialDecay(0.1, decay_steps=10, end_learning_rate=0.0, cycle=True)

    def formula(s):
        decay_steps = 10 * (1 if s == 0 else math.ceil(s / 10))
        return 0.1 * (1 - s / decay_steps)

    check(schedule, formula)


@pytest.mark.parametrize("staircase", [False, True])
def test_inverse_time_decay(staircase):
    schedule = schedules.InverseTimeDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=staircase)
    check(schedule, lambda s: 0.1 / (1 + 0.5 * ((s // 4) if staircase else s / 4)))


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_cosine_decay_without_warmup(alpha):
    schedule = schedules.CosineDecay(0.1, decay_steps=20, alpha=alpha)

    def formula(s):
        s = min(s, 20)
        return 0.1 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / 20)) + alpha)

    check(schedule, formula)
    assert values(schedule, [20, 1000]) == pytest.approx([0.1 * alpha, 0.1 * alpha], abs=1e-8)


def test_cosine_decay_with_warmup():
    schedule = schedules.CosineDecay(0.01, decay_steps=20, alpha=0.1, warmup_target=0.1, warmup_steps=10)

    def formula(s):
        s = min(s, 30)
        if s < 10:
            return (0.1 - 0.01) * s / 10 + 0.01
        return 0.1 * (0.9 * 0.5 * (1 + math.cos(math.pi * (s - 10) / 20)) + 0.1)

    check(schedule, formula)
    assert values(schedule, [0, 10, 30, 50]) == pytest.approx([0.01, 0.1, 0.01, 0.01], rel=1e-5)


def test_cosine_decay_with_a_target_and_no_warmup_steps_starts_at_the_target():
    schedule = schedules.CosineDecay(0.5, decay_steps=10, warmup_target=0.1, warmup_steps=0)
    check(schedule, lambda s: 0.1 * 0.5 * (1 + math.cos(math.pi * min(s, 10) / 10)))


@pytest.mark.parametrize("t_mul,m_mul,alpha", [(1.0, 1.0, 0.0), (1.0, 0.5, 0.1), (2.0, 1.0, 0.0), (2.0, 0.5, 0.1)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    schedule = schedules.CosineDecayRestarts(0.1, first_decay_steps=4, t_mul=t_mul, m_mul=m_mul, alpha=alpha)

    def formula(s):
        # Walk the periods: lengths 4, 4*t, 4*t**2, ...
        start, length, restart = 0.0, 4.0, 0
        while s >= start + length:
            start, length, restart = start + length, length * t_mul, restart + 1
        fraction = (s - start) / length
        return 0.1 * ((1 - alpha) * m_mul**restart * 0.5 * (1 + math.cos(math.pi * fraction)) + alpha)

    # Steps strictly inside periods: exactly at a restart float32 rounding may pick either side.
    check(schedule, formula, steps=[0, 1, 3, 5, 7, 9, 13, 21, 30])


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.ExponentialDecay(0.1, 10, 0.9, staircase=True, name="exp"),
        schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1]),
        schedules.PolynomialDecay(0.1, 10, end_learning_rate=0.01, power=2.0, cycle=True),
        schedules.InverseTimeDecay(0.1, 10, 0.5),
        schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10),
        schedules.CosineDecayRestarts(0.1, 10, t_mul=1.5, m_mul=0.9, alpha=0.01),
    ],
    ids=lambda s: type(s).__name__,
)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    rebuilt = type(schedule).from_config(config)
    assert rebuilt.get_config() == config
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule)
    assert values(again) == pytest.approx(values(schedule))


def test_invalid_decay_steps_are_rejected():
    for make in (
        lambda: schedules.ExponentialDecay(0.1, 0, 0.5),
        lambda: schedules.PolynomialDecay(0.1, -1),
        lambda: schedules.InverseTimeDecay(0.1, 0, 0.5),
        lambda: schedules.CosineDecay(0.1, 0),
        lambda: schedules.CosineDecayRestarts(0.1, 0),
    ):
        with pytest.raises(ValueError, match="must be > 0"):
            make()


def test_base_class_requires_call_and_config():
    class Half(schedules.LearningRateSchedule):
        def __call__(self, step):
            return ops.multiply(0.5, ops.cast(step, "float32"))

    assert float(Half()(4)) == 2.0
    with pytest.raises(NotImplementedError, match="get_config"):
        Half().get_config()
    with pytest.raises(NotImplementedError, match="__call__"):
        schedules.LearningRateSchedule()(0)
    with pytest.raises(ValueError, match="LearningRateSchedule"):
        schedules.deserialize({"class_name": "SGD", "config": {}})
