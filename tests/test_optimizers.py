"""Optimizers against hand-written NumPy references of the Keras 3 update rules."""

import math
import warnings

import numpy as np
import pytest

import plugnet
from plugnet import ops
from plugnet import optimizers
from plugnet.optimizers import SGD, Adagrad, Adam, AdamW, RMSprop, schedules

W0 = np.array([[1.0, -2.0], [3.0, 0.5]])
GRADS = [
    np.array([[0.5, -1.0], [2.0, 0.1]]),
    np.array([[-0.3, 0.7], [1.5, -0.2]]),
    np.array([[0.2, 0.4], [-1.0, 0.3]]),
]
# A second variable of another shape, to check that slots stay aligned per variable.
B0 = np.array([0.1, -0.4, 0.25])
B_GRADS = [np.array([1.0, -0.5, 0.2]), np.array([0.3, 0.3, -0.6]), np.array([-0.9, 0.1, 0.4])]


def run(optimizer, steps=3):
    """Apply GRADS / B_GRADS for `steps` steps; return the values of both variables after each step."""
    w = plugnet.Variable(W0, name="dense/kernel")
    b = plugnet.Variable(B0, name="dense/bias")
    history = []
    for g, gb in zip(GRADS[:steps], B_GRADS[:steps]):
        optimizer.apply_gradients([(ops.convert_to_tensor(g), w), (ops.convert_to_tensor(gb), b)])
        history.append((w.numpy().copy(), b.numpy().copy()))
    return history


def reference(update, steps=3, **state):
    """Run the NumPy rule `update(w, g, t, slots)` on both variables (float64)."""
    history = []
    values = [W0.copy(), B0.copy()]
    slots = [dict(state), dict(state)]
    for t in range(steps):
        for k, grads in enumerate((GRADS, B_GRADS)):
            values[k] = update(values[k], grads[t], t, slots[k])
        history.append((values[0].copy(), values[1].copy()))
    return history


def assert_history(actual, expected, rtol=1e-5, atol=1e-6):
    assert len(actual) == len(expected)
    for step, ((w, b), (w_ref, b_ref)) in enumerate(zip(actual, expected)):
        assert w.dtype == np.float32 and b.dtype == np.float32
        np.testing.assert_allclose(w, w_ref, rtol=rtol, atol=atol, err_msg=f"kernel after step {step + 1}")
        np.testing.assert_allclose(b, b_ref, rtol=rtol, atol=atol, err_msg=f"bias after step {step + 1}")


# -- textbook references (Keras 3 formulas) -------------------------------------


def sgd_rule(lr, momentum=0.0, nesterov=False, weight_decay=None):
    def update(w, g, t, s):
        if weight_decay:
            w = w - w * weight_decay * lr
        if momentum == 0:
            return w - lr * g
        v = momentum * s.get("v", np.zeros_like(w)) - lr * g
        s["v"] = v
        return w + (momentum * v - lr * g if nesterov else v)

    return update


def adam_rule(lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None, decay_mask=(True, True)):
    def update(w, g, t, s):
        if weight_decay and s.setdefault("decay", decay_mask[w.ndim == 1]):
            w = w - w * weight_decay * lr
        m = s.get("m", np.zeros_like(w)) + (g - s.get("m", np.zeros_like(w))) * (1 - beta_1)
        v = s.get("v", np.zeros_like(w)) + (g**2 - s.get("v", np.zeros_like(w))) * (1 - beta_2)
        s["m"], s["v"] = m, v
        if amsgrad:
            v = s["v_hat"] = np.maximum(s.get("v_hat", np.zeros_like(w)), v)
        step = t + 1
        alpha = lr * math.sqrt(1 - beta_2**step) / (1 - beta_1**step)
        return w - alpha * m / (np.sqrt(v) + epsilon)

    return update


def rmsprop_rule(lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    def update(w, g, t, s):
        v = s["v"] = rho * s.get("v", np.zeros_like(w)) + (1 - rho) * g**2
        if centered:
            a = s["a"] = rho * s.get("a", np.zeros_like(w)) + (1 - rho) * g
            denominator = v - a**2 + epsilon
        else:
            denominator = v + epsilon
        increment = lr * g / np.sqrt(denominator)
        if momentum > 0:
            mom = s["mom"] = momentum * s.get("mom", np.zeros_like(w)) + increment
            return w - mom
        return w - increment

    return update


def adagrad_rule(lr, initial_accumulator_value=0.1, epsilon=1e-7):
    def update(w, g, t, s):
        acc = s["acc"] = s.get("acc", np.full_like(w, initial_accumulator_value)) + g**2
        return w - lr * g / np.sqrt(acc + epsilon)

    return update


# -- update rules ------------------------------------------------------------------


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True), (0.5, True)])
def test_sgd_matches_reference(momentum, nesterov):
    actual = run(SGD(learning_rate=0.1, momentum=momentum, nesterov=nesterov))
    assert_history(actual, reference(sgd_rule(0.1, momentum, nesterov)))


def test_sgd_defaults_and_no_slot_without_momentum():
    optimizer = SGD()
    assert (optimizer.name, optimizer.momentum, optimizer.nesterov) == ("SGD", 0.0, False)
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    run(optimizer, steps=1)
    assert [v.name for v in optimizer.variables] == ["iteration", "learning_rate"]


@pytest.mark.parametrize("amsgrad", [False, True])
def test_adam_matches_reference(amsgrad):
    actual = run(Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.95, epsilon=1e-3, amsgrad=amsgrad))
    assert_history(actual, reference(adam_rule(0.01, 0.8, 0.95, 1e-3, amsgrad)))


def test_adam_amsgrad_keeps_the_running_maximum():
    # A large then small gradient: v drops on step 2, v_hat must not.
    w = plugnet.Variable(np.array([1.0]))
    optimizer = Adam(learning_rate=0.1, beta_2=0.5, amsgrad=True)
    for g in (10.0, 0.1):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([g])), w)])
    v, v_hat = optimizer._velocities[0].numpy(), optimizer._velocity_hats[0].numpy()
    np.testing.assert_allclose(v, [0.5 * 50.0 + 0.5 * 0.01], rtol=1e-6)
    np.testing.assert_allclose(v_hat, [50.0], rtol=1e-6)


def test_adam_defaults():
    optimizer = Adam()
    assert (optimizer.beta_1, optimizer.beta_2, optimizer.epsilon, optimizer.amsgrad) == (0.9, 0.999, 1e-7, False)
    assert float(optimizer.learning_rate) == pytest.approx(0.001)
    assert optimizer.name == "adam"


def test_adamw_decoupled_weight_decay():
    actual = run(AdamW(learning_rate=0.05, weight_decay=0.1))
    assert_history(actual, reference(adam_rule(0.05, weight_decay=0.1)))


def test_adamw_defaults_and_requires_weight_decay():
    optimizer = AdamW()
    assert optimizer.weight_decay == 0.004 and optimizer.name == "adamw"
    with pytest.raises(ValueError, match="weight_decay"):
        AdamW(weight_decay=None)


@pytest.mark.parametrize("how", ["var_list", "var_names"])
def test_adamw_exclude_from_weight_decay(how):
    optimizer = AdamW(learning_rate=0.05, weight_decay=0.1)
    w = plugnet.Variable(W0, name="dense/kernel")
    b = plugnet.Variable(B0, name="dense/bias")
    if how == "var_list":
        optimizer.exclude_from_weight_decay(var_list=[b])
    else:
        optimizer.exclude_from_weight_decay(var_names=["bias"])
    history = []
    for g, gb in zip(GRADS, B_GRADS):
        optimizer.apply_gradients([(ops.convert_to_tensor(g), w), (ops.convert_to_tensor(gb), b)])
        history.append((w.numpy().copy(), b.numpy().copy()))
    # decay_mask is indexed by "is the bias": the kernel decays, the bias does not.
    assert_history(history, reference(adam_rule(0.05, weight_decay=0.1, decay_mask=(True, False))))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        optimizer.exclude_from_weight_decay(var_names=["kernel"])


def test_weight_decay_works_on_any_optimizer():
    actual = run(SGD(learning_rate=0.1, momentum=0.9, weight_decay=0.05))
    assert_history(actual, reference(sgd_rule(0.1, 0.9, weight_decay=0.05)))


@pytest.mark.parametrize("momentum,centered", [(0.0, False), (0.5, False), (0.0, True), (0.9, True)])
def test_rmsprop_matches_reference(momentum, centered):
    actual = run(RMSprop(learning_rate=0.01, rho=0.8, momentum=momentum, epsilon=1e-4, centered=centered))
    assert_history(actual, reference(rmsprop_rule(0.01, 0.8, momentum, 1e-4, centered)))


def test_rmsprop_slots_follow_options():
    plain = RMSprop()
    run(plain, steps=1)
    full = RMSprop(momentum=0.5, centered=True)
    run(full, steps=1)
    assert len(plain.variables) == 2 + 2  # iteration, learning_rate, one velocity per variable
    assert len(full.variables) == 2 + 3 * 2
    names = [v.name for v in full.variables[2:5]]
    assert names == ["dense_kernel_velocity", "dense_bias_velocity", "dense_kernel_momentum"]


def test_adagrad_matches_reference():
    actual = run(Adagrad(learning_rate=0.1, initial_accumulator_value=0.2, epsilon=1e-5))
    assert_history(actual, reference(adagrad_rule(0.1, 0.2, 1e-5)))


def test_adagrad_defaults():
    optimizer = Adagrad()
    assert (optimizer.initial_accumulator_value, optimizer.epsilon, optimizer.name) == (0.1, 1e-7, "adagrad")
    actual = run(optimizer)
    assert_history(actual, reference(adagrad_rule(0.001)))
    with pytest.raises(ValueError, match="initial_accumulator_value"):
        Adagrad(initial_accumulator_value=-1.0)


# -- clipping ------------------------------------------------------------------------


def _one_sgd_step(**kwargs):
    """With lr=1 and w=0, the variables after one step are minus the (clipped) gradients."""
    w = plugnet.Variable(np.zeros((2, 2)))
    b = plugnet.Variable(np.zeros(3))
    g = np.array([[3.0, 4.0], [0.0, 0.0]])  # norm 5
    gb = np.array([0.0, -12.0, 0.5])  # norm ~12.01
    SGD(learning_rate=1.0, **kwargs).apply_gradients([(ops.convert_to_tensor(g), w), (ops.convert_to_tensor(gb), b)])
    return -w.numpy(), -b.numpy(), g, gb


def test_clipnorm_rescales_each_gradient():
    w, b, g, gb = _one_sgd_step(clipnorm=2.0)
    np.testing.assert_allclose(w, g * 2.0 / 5.0, rtol=1e-6)
    np.testing.assert_allclose(b, gb * 2.0 / np.linalg.norm(gb), rtol=1e-6)
    w, b, g, gb = _one_sgd_step(clipnorm=100.0)  # below the limit: unchanged
    np.testing.assert_allclose(w, g, rtol=1e-6)
    np.testing.assert_allclose(b, gb, rtol=1e-6)


def test_clipvalue_clips_elementwise():
    w, b, g, gb = _one_sgd_step(clipvalue=1.0)
    np.testing.assert_allclose(w, np.clip(g, -1, 1))
    np.testing.assert_allclose(b, np.clip(gb, -1, 1))


def test_global_clipnorm_rescales_all_gradients_together():
    w, b, g, gb = _one_sgd_step(global_clipnorm=3.0)
    total = math.sqrt(np.sum(g**2) + np.sum(gb**2))
    np.testing.assert_allclose(w, g * 3.0 / total, rtol=1e-6)
    np.testing.assert_allclose(b, gb * 3.0 / total, rtol=1e-6)


def test_only_one_clipping_argument():
    with pytest.raises(ValueError, match="only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        SGD(clipnorm=1.0, clipvalue=1.0)
    with pytest.raises(ValueError, match="clipnorm"):
        SGD(clipnorm=-1.0)


# -- learning rate and schedules -------------------------------------------------------


def test_optimizer_uses_the_schedule_value_at_each_step():
    schedule = schedules.PiecewiseConstantDecay(boundaries=[0, 1], values=[1.0, 0.5, 0.25])
    optimizer = SGD(learning_rate=schedule)
    w = plugnet.Variable(np.array([0.0]))
    seen = []
    for _ in range(4):
        seen.append(float(optimizer.learning_rate))
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([1.0])), w)])
    # Step 0 uses schedule(0), step 1 schedule(1), ...
    assert seen == [1.0, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(w.numpy(), [-(1.0 + 0.5 + 0.25 + 0.25)])
    assert optimizer.variables == [optimizer.iterations]  # a schedule has no learning-rate Variable


def test_adam_with_exponential_decay_matches_reference():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    actual = run(Adam(learning_rate=schedule))
    rates = [0.1 * 0.5 ** (t / 2) for t in range(3)]
    expected = []
    values = [W0.copy(), B0.copy()]
    slots = [{}, {}]
    for t, lr in enumerate(rates):
        for k, grads in enumerate((GRADS, B_GRADS)):
            values[k] = adam_rule(lr)(values[k], grads[t], t, slots[k])
        expected.append((values[0].copy(), values[1].copy()))
    assert_history(actual, expected)


def test_callable_learning_rate_is_called_each_step():
    rates = iter([0.5, 0.25])
    optimizer = SGD(learning_rate=lambda: next(rates))
    w = plugnet.Variable(np.array([0.0]))
    for _ in range(2):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([1.0])), w)])
    np.testing.assert_allclose(w.numpy(), [-0.75])


def test_learning_rate_is_settable_without_rebuilding():
    optimizer = SGD(learning_rate=0.1)
    w = plugnet.Variable(np.array([0.0]))
    optimizer.apply_gradients([(ops.convert_to_tensor(np.array([1.0])), w)])
    variables = optimizer.variables
    optimizer.learning_rate = 0.01
    assert float(optimizer.learning_rate) == pytest.approx(0.01)
    optimizer.apply_gradients([(ops.convert_to_tensor(np.array([1.0])), w)])
    np.testing.assert_allclose(w.numpy(), [-0.11], rtol=1e-6)
    assert optimizer.variables == variables  # same Variable, assigned in place
    optimizer.learning_rate.assign(0.5)  # Keras users do this too
    assert float(optimizer.learning_rate) == 0.5


def test_learning_rate_of_a_schedule_is_not_settable_to_a_number():
    optimizer = SGD(learning_rate=schedules.ExponentialDecay(0.1, 10, 0.9))
    with pytest.raises(TypeError, match="not settable"):
        optimizer.learning_rate = 0.01
    optimizer = SGD(learning_rate=0.1)
    optimizer.learning_rate = schedules.ExponentialDecay(0.2, 10, 0.9)
    assert float(optimizer.learning_rate) == pytest.approx(0.2)
    assert [v.name for v in optimizer.variables] == ["iteration"]


def test_bad_learning_rate_is_rejected():
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(learning_rate="fast")


# -- the step loop -------------------------------------------------------------------------


def test_iterations_count_applied_steps():
    optimizer = Adam()
    assert int(optimizer.iterations) == 0
    run(optimizer, steps=3)
    assert int(optimizer.iterations) == 3
    assert optimizer.iterations.dtype == "int64" and not optimizer.iterations.trainable
    assert optimizer.variables[0] is optimizer.iterations


def test_build_creates_slots_once():
    optimizer = Adam()
    w = plugnet.Variable(W0, name="w")
    b = plugnet.Variable(B0, name="b")
    optimizer.build([w, b])
    names = [v.name for v in optimizer.variables]
    # Keras's order: iteration, learning_rate, then per variable momentum and velocity.
    assert names == ["iteration", "learning_rate", "w_momentum", "w_velocity", "b_momentum", "b_velocity"]
    slots = optimizer.variables
    for g, gb in zip(GRADS, B_GRADS):
        optimizer.apply_gradients([(ops.convert_to_tensor(g), w), (ops.convert_to_tensor(gb), b)])
    assert all(a is b for a, b in zip(optimizer.variables, slots)) and len(optimizer.variables) == len(slots)
    assert all(not v.trainable for v in optimizer.variables)
    assert optimizer.variables[2].shape == (2, 2) and optimizer.variables[4].shape == (3,)


def test_none_gradients_are_skipped_with_a_warning():
    optimizer = SGD(learning_rate=0.1)
    w = plugnet.Variable(np.array([1.0]), name="used")
    unused = plugnet.Variable(np.array([2.0]), name="unused")
    with pytest.warns(UserWarning, match="unused"):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([1.0])), w), (None, unused)])
    np.testing.assert_allclose(w.numpy(), [0.9], rtol=1e-6)
    np.testing.assert_allclose(unused.numpy(), [2.0])
    assert int(optimizer.iterations) == 1


def test_all_none_gradients_raise_and_no_gradients_is_a_no_op():
    optimizer = SGD()
    w = plugnet.Variable(np.array([1.0]))
    with pytest.raises(ValueError, match="no gradients provided for any variable"):
        optimizer.apply_gradients([(None, w)])
    optimizer.apply_gradients([])
    assert int(optimizer.iterations) == 0


def test_apply_without_variables_uses_the_built_list():
    optimizer = SGD(learning_rate=0.1)
    w = plugnet.Variable(np.array([1.0]))
    with pytest.raises(ValueError, match="must already be built"):
        optimizer.apply([ops.convert_to_tensor(np.array([1.0]))])
    optimizer.build([w])
    optimizer.apply([ops.convert_to_tensor(np.array([1.0]))])
    np.testing.assert_allclose(w.numpy(), [0.9], rtol=1e-6)
    with pytest.raises(ValueError, match="received 2 gradients"):
        optimizer.apply([np.ones(1), np.ones(1)])


def test_unknown_variable_and_wrong_gradient_shape_are_clear_errors():
    optimizer = Adam()
    w = plugnet.Variable(np.zeros((2, 2)), name="kernel")
    optimizer.apply_gradients([(ops.convert_to_tensor(np.ones((2, 2))), w)])
    other = plugnet.Variable(np.zeros(2), name="stranger")
    with pytest.raises(ValueError, match="unknown variable.*stranger"):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.ones(2)), other)])
    with pytest.raises(ValueError, match=r"'kernel' has shape \(2,\), expected .*\(2, 2\)"):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.ones(2)), w)])


def test_loss_scale_factor_unscales_gradients():
    optimizer = SGD(learning_rate=0.1, loss_scale_factor=8.0)
    assert float(optimizer.scale_loss(ops.convert_to_tensor(2.0))) == 16.0
    w = plugnet.Variable(np.array([1.0]))
    optimizer.apply_gradients([(ops.convert_to_tensor(np.array([8.0])), w)])
    np.testing.assert_allclose(w.numpy(), [0.9], rtol=1e-6)


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    optimizer = SGD(learning_rate=0.1, gradient_accumulation_steps=2)
    w = plugnet.Variable(np.array([1.0, 1.0]))
    values = []
    for g in ([1.0, 2.0], [3.0, 0.0], [2.0, 2.0], [0.0, 4.0]):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array(g)), w)])
        values.append(w.numpy().copy())
    np.testing.assert_allclose(values[0], [1.0, 1.0])
    np.testing.assert_allclose(values[1], [1.0 - 0.1 * 2.0, 1.0 - 0.1 * 1.0], rtol=1e-6)
    np.testing.assert_allclose(values[2], values[1])
    np.testing.assert_allclose(values[3], values[1] - 0.1 * np.array([1.0, 3.0]), rtol=1e-6)
    assert int(ops.convert_to_numpy(optimizer.iterations)) == 2  # real updates
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        SGD(gradient_accumulation_steps=1)


def test_exponential_moving_average_and_finalize():
    optimizer = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5)
    w = plugnet.Variable(np.array([0.0]))
    for _ in range(3):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([-1.0])), w)])
    # w after steps: 1, 2, 3; the average starts at the first value: 1, 1.5, 2.25.
    np.testing.assert_allclose(w.numpy(), [3.0])
    optimizer.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), [2.25])


def test_ema_overwrite_frequency():
    optimizer = SGD(learning_rate=1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = plugnet.Variable(np.array([0.0]))
    values = []
    for _ in range(2):
        optimizer.apply_gradients([(ops.convert_to_tensor(np.array([-1.0])), w)])
        values.append(float(w.numpy()[0]))
    # Step 1: w=1, avg=1. Step 2: w=2, avg=1.5, and w is overwritten with it.
    assert values == [1.0, 1.5]


def test_constraints_apply_after_the_update():
    optimizer = SGD(learning_rate=1.0)
    w = plugnet.Variable(np.array([0.0, 0.5]))
    w.constraint = lambda x: ops.clip(x, -1.0, 1.0)
    optimizer.apply_gradients([(ops.convert_to_tensor(np.array([-3.0, 0.25])), w)])
    np.testing.assert_allclose(w.numpy(), [1.0, 0.25])


def test_save_and_load_own_variables():
    source = Adam(learning_rate=0.01)
    run(source)
    store = {}
    source.save_own_variables(store)
    assert list(store) == [str(i) for i in range(len(source.variables))]
    target = Adam(learning_rate=0.5)
    target.build([plugnet.Variable(W0), plugnet.Variable(B0)])
    target.load_own_variables(store)
    for a, b in zip(source.variables, target.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        Adam().load_own_variables(store)


# -- construction, get() and configs ----------------------------------------------------------


def test_invalid_arguments():
    with pytest.raises(ValueError, match="momentum"):
        SGD(momentum=1.5)
    with pytest.raises(ValueError, match="not recognized"):
        Adam(learning_rte=0.1)
    with pytest.raises(ValueError, match="ema_momentum"):
        SGD(use_ema=True, ema_momentum=2.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        SGD(decay=0.1)
    assert any("decay" in str(w.message) for w in caught)


@pytest.mark.parametrize(
    "name,cls",
    [("sgd", SGD), ("SGD", SGD), ("adam", Adam), ("Adam", Adam), ("adamw", AdamW), ("RMSprop", RMSprop), ("adagrad", Adagrad)],
)
def test_get_by_name(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls


def test_get_other_identifiers():
    instance = Adam()
    assert optimizers.get(instance) is instance
    assert type(optimizers.get(RMSprop)) is RMSprop
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "adam", "config": {"learning_rate": 0.5}})
    assert type(from_dict) is Adam and float(from_dict.learning_rate) == 0.5


def test_get_unknown_name_lists_valid_names():
    with pytest.raises(ValueError) as info:
        optimizers.get("adamax_typo")
    message = str(info.value)
    assert "adamax_typo" in message
    for name in ("adagrad", "adam", "adamw", "rmsprop", "sgd"):
        assert name in message


@pytest.mark.parametrize(
    "optimizer",
    [
        SGD(learning_rate=0.05, momentum=0.9, nesterov=True, clipnorm=1.0),
        Adam(learning_rate=0.002, beta_1=0.8, amsgrad=True, global_clipnorm=2.0),
        AdamW(weight_decay=0.01, epsilon=1e-5, use_ema=True, ema_momentum=0.9),
        RMSprop(rho=0.8, momentum=0.1, centered=True, clipvalue=0.5, name="my_rmsprop"),
        Adagrad(initial_accumulator_value=0.3, loss_scale_factor=4.0, gradient_accumulation_steps=3),
        SGD(learning_rate=schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10)),
    ],
    ids=lambda o: type(o).__name__,
)
def test_config_round_trip(optimizer):
    config = optimizer.get_config()
    rebuilt = type(optimizer).from_config(config)
    assert rebuilt.get_config() == config
    again = optimizers.deserialize(optimizers.serialize(optimizer))
    assert type(again) is type(optimizer) and again.get_config() == config
    assert float(again.learning_rate) == pytest.approx(float(optimizer.learning_rate))


def test_config_of_a_schedule_keeps_the_schedule():
    schedule = schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5, staircase=True)
    config = Adam(learning_rate=schedule).get_config()
    assert config["learning_rate"] == {"class_name": "ExponentialDecay", "config": schedule.get_config()}
    rebuilt = Adam.from_config(config)
    assert isinstance(rebuilt._learning_rate, schedules.ExponentialDecay)


def test_unsaveable_callable_learning_rate_is_a_clear_error():
    with pytest.raises(ValueError, match="cannot be saved"):
        SGD(learning_rate=lambda: 0.1).get_config()


def test_variable_dtype_is_kept():
    w = plugnet.Variable(np.array([1.0, 2.0]), dtype="float64")
    optimizer = Adam(learning_rate=0.1)
    optimizer.apply_gradients([(ops.convert_to_tensor(np.array([0.5, -0.5]), "float64"), w)])
    assert w.dtype == "float64" and optimizer.variables[2].dtype == "float64"
    np.testing.assert_allclose(w.numpy(), [0.9, 2.1], rtol=1e-5)  # Adam's first step moves by ~lr


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad"])
def test_training_with_a_gradient_tape_fits_a_line(name):
    # y = 3x + 1; every optimizer must bring the loss well below its start.
    x = ops.convert_to_tensor(np.linspace(-1, 1, 32, dtype="float32").reshape(32, 1))
    y = ops.convert_to_tensor(3 * np.linspace(-1, 1, 32, dtype="float32").reshape(32, 1) + 1)
    w = plugnet.Variable(np.zeros((1, 1)), name="w")
    b = plugnet.Variable(np.zeros(1), name="b")
    rates = {"sgd": 0.3, "adam": 0.1, "adamw": 0.1, "rmsprop": 0.05, "adagrad": 1.0}
    optimizer = optimizers.get({"class_name": name, "config": {"learning_rate": rates[name]}})
    losses = []
    for _ in range(100):
        with plugnet.GradientTape() as tape:
            loss = ops.mean(ops.square(ops.add(ops.matmul(x, w), b) - y))
        optimizer.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
        losses.append(float(loss))
    assert losses[-1] < 0.01 * losses[0], f"{name}: loss went from {losses[0]} to {losses[-1]}"


class _PerVariableSGD(SGD):
    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient, variable, learning_rate)


class _PerVariableAdam(Adam):
    def update_step(self, gradient, variable, learning_rate):
        super().update_step(gradient, variable, learning_rate)


@pytest.mark.parametrize("make", [
    lambda cls: cls(learning_rate=0.1),
    lambda cls: cls(learning_rate=0.1, momentum=0.9),
    lambda cls: cls(learning_rate=0.1, momentum=0.5, nesterov=True),
    lambda cls: cls(learning_rate=schedules.ExponentialDecay(0.1, 2, 0.5), momentum=0.9),
], ids=["plain", "momentum", "nesterov", "schedule"])
def test_sgd_backend_kernel_matches_per_variable_updates(make):
    # The backend's whole-list kernel (when it has one) and the frontend's
    # per-variable ops are two implementations of one formula.
    assert_history(run(make(SGD)), run(make(_PerVariableSGD)))


@pytest.mark.parametrize("weight_decay", [None, 0.1])
def test_adam_backend_kernel_matches_per_variable_updates(weight_decay):
    fused = run(Adam(learning_rate=0.05, beta_1=0.8, epsilon=1e-3, weight_decay=weight_decay))
    assert_history(fused, run(_PerVariableAdam(learning_rate=0.05, beta_1=0.8, epsilon=1e-3, weight_decay=weight_decay)))


def test_a_subclass_that_overrides_update_step_keeps_its_own_math():
    class SignSGD(SGD):
        def update_step(self, gradient, variable, learning_rate):
            self.assign_sub(variable, ops.multiply(ops.sign(gradient), learning_rate))

    variable = plugnet.Variable(np.array([1.0, -1.0, 0.5], "float32"))
    SignSGD(learning_rate=0.25).apply([np.array([3.0, -0.1, 0.0], "float32")], [variable])
    np.testing.assert_allclose(variable.numpy(), [0.75, -0.75, 0.5])
