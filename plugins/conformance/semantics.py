"""Variable and GradientTape semantics, checked through plugnet's public API.

These are what layers, optimizers and training loops rely on, whatever the
backend: ``plugnet.Variable`` creation, reading and in-place assignment, the
trainable flag, ``plugnet.GradientTape`` with TensorFlow's semantics, and
optimizer steps (which a backend may carry out itself).
Each check is a function that raises :class:`AssertionError` on a mismatch;
its docstring's first line is its row in the report. They run with the
backend under test active (``plugnet.backend.use(name)``).
"""

from __future__ import annotations

import numpy as np

from plugnet import GradientTape, Variable, ops

from .expect import expect, expect_close, expect_equal, expect_raises, host

# -- Variable --------------------------------------------------------------------


def variable_create():
    """Variable: creation, dtype, shape, name and a private copy of the value"""
    source = np.array([[1.0, 2.0], [3.0, 4.0]])
    v = Variable(source, name="w")
    source[0, 0] = 99.0
    expect_equal("Variable(float64 array).dtype", v.dtype, "float32")
    expect_equal("ops.dtype(variable.value)", ops.dtype(v.value), "float32")
    expect_equal("Variable.shape", v.shape, (2, 2))
    expect_equal("Variable.name", v.name, "w")
    expect_equal("Variable.trainable by default", v.trainable, True)
    expect_close("Variable.numpy() after changing the source array", v.numpy(), [[1.0, 2.0], [3.0, 4.0]])
    expect_equal("Variable(..., dtype='float64').dtype", Variable(np.ones(3), dtype="float64").dtype, "float64")
    expect_equal("ops.dtype of a float64 Variable's value", ops.dtype(Variable(np.ones(3), dtype="float64").value),
                 "float64")
    expect_equal("Variable(int32 array).dtype", Variable(np.arange(3, dtype="int32")).dtype, "int32")
    made = Variable(lambda shape, dtype: np.full(shape, 2.0, dtype), shape=(2,))
    expect_close("Variable(initializer, shape=(2,))", made, [2.0, 2.0])


def variable_read():
    """Variable: usable as a tensor in ops, operators and NumPy"""
    v = Variable(np.array([[1.0, 2.0], [3.0, 4.0]]))
    expect_close("ops.add(variable, 1.0)", ops.add(v, 1.0), [[2.0, 3.0], [4.0, 5.0]])
    expect_close("ops.matmul(variable, variable)", ops.matmul(v, v), [[7.0, 10.0], [15.0, 22.0]])
    expect_close("variable * 2.0", v * 2.0, [[2.0, 4.0], [6.0, 8.0]])
    expect_close("variable[:, 1]", v[:, 1], [2.0, 4.0])
    expect_close("np.asarray(variable)", np.asarray(v), [[1.0, 2.0], [3.0, 4.0]])
    snapshot = v.numpy()
    snapshot[0, 0] = 99.0
    expect_close("Variable after changing a numpy() copy", v, [[1.0, 2.0], [3.0, 4.0]])


def variable_assign():
    """Variable: assign, assign_add and assign_sub update it in place, keeping its dtype"""
    v = Variable(np.ones(3), name="bias")
    before = ops.multiply(v, 1.0)
    expect(v.assign(np.array([1.0, 2.0, 3.0])) is v, "Variable.assign() did not return the variable itself")
    expect_close("after assign([1, 2, 3])", v, [1.0, 2.0, 3.0])
    expect_close("a tensor computed from the variable before assign", before, [1.0, 1.0, 1.0])
    expect(v.assign_add(np.ones(3)) is v, "Variable.assign_add() did not return the variable itself")
    expect_close("after assign_add(ones)", v, [2.0, 3.0, 4.0])
    expect(v.assign_sub(np.full(3, 0.5)) is v, "Variable.assign_sub() did not return the variable itself")
    expect_close("after assign_sub(0.5)", v, [1.5, 2.5, 3.5])
    v.assign_add(ops.convert_to_tensor(np.ones(3, np.float32)))
    expect_close("after assign_add(a backend tensor)", v, [2.5, 3.5, 4.5])
    expect_equal("Variable.dtype after assigning float64 values", v.dtype, "float32")
    expect_equal("ops.dtype(variable.value) after assigning float64 values", ops.dtype(v.value), "float32")
    expect_equal("Variable.shape after assignments", tuple(ops.shape(v.value)), (3,))
    counter = Variable(np.zeros(2, np.int32), trainable=False)
    counter.assign_add(np.array([1, 2], np.int32))
    expect_equal("an int32 Variable after assign_add", (counter.dtype, host(counter).tolist()), ("int32", [1, 2]))
    steps = Variable(np.array(0, np.int64), trainable=False)
    steps.assign_add(1)  # an optimizer's step counter: a Python number reaches the backend as it is
    steps.assign(ops.add(steps, 4))
    scale = Variable(np.array(2.0, np.float32))
    scale.assign_sub(0.5)
    expect_equal("scalar Variables after assign_add(1), assign and assign_sub(0.5)",
                 (steps.dtype, int(host(steps)), scale.dtype, float(host(scale))), ("int64", 5, "float32", 1.5))
    expect_raises("assigning a (2,) value to a (3,) Variable", ValueError, v.assign, np.ones(2))


def variable_trainable():
    """Variable: the trainable flag decides what a tape watches"""
    frozen = Variable(np.ones(2), trainable=False)
    expect_equal("Variable(trainable=False).trainable", frozen.trainable, False)
    with GradientTape() as tape:
        loss = ops.sum(frozen * 3.0)
    expect(tape.gradient(loss, frozen) is None, "a tape watched a non-trainable Variable it was not asked to watch")
    with GradientTape() as tape:
        tape.watch(frozen)
        loss = ops.sum(frozen * 3.0)
    expect_close("gradient of a non-trainable Variable the tape watches", tape.gradient(loss, frozen), [3.0, 3.0])
    frozen.trainable = True
    with GradientTape() as tape:
        loss = ops.sum(frozen * frozen)
    expect_close("gradient after setting trainable = True", tape.gradient(loss, frozen), [2.0, 2.0])


# -- GradientTape ------------------------------------------------------------------


def tape_variable_gradient():
    """GradientTape: gradients of Variables through a small network"""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype("float32")
    w = Variable(rng.standard_normal((3, 2)))
    b = Variable(np.zeros(2))
    with GradientTape() as tape:
        loss = ops.mean(ops.square(ops.tanh(ops.add(ops.matmul(x, w), b))))
    gw, gb = tape.gradient(loss, [w, b])
    h = np.tanh(x @ w.numpy() + b.numpy())
    dz = 2 * h / h.size * (1 - h**2)
    expect_close("d(loss)/d(kernel)", gw, x.T @ dz, atol=1e-5)
    expect_close("d(loss)/d(bias)", gb, dz.sum(0), atol=1e-5)
    expect_equal("dtype of the gradient of a float32 Variable", ops.dtype(gw), "float32")


def tape_watch_tensor():
    """GradientTape: watch() makes a tensor a source; unwatched tensors get None"""
    x = ops.convert_to_tensor(np.array([1.0, 2.0], np.float32))
    with GradientTape() as tape:
        loss = ops.sum(ops.multiply(x, x))
    expect(tape.gradient(loss, x) is None, "gradient with respect to an unwatched tensor is not None")
    with GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(ops.multiply(x, x))
    expect_close("d(sum(x * x))/dx for a watched tensor", tape.gradient(loss, x), [2.0, 4.0])
    v = Variable(np.array([3.0, 4.0]))
    with GradientTape(watch_accessed_variables=False) as tape:
        tape.watch(x)
        loss = ops.sum(ops.multiply(x, v))
    gx, gv = tape.gradient(loss, [x, v])
    expect_close("d/dx with watch_accessed_variables=False", gx, [3.0, 4.0])
    expect(gv is None, "watch_accessed_variables=False: an unwatched Variable got a gradient")


def tape_persistent():
    """GradientTape: a persistent tape answers gradient() twice"""
    v = Variable(np.array([2.0]))
    with GradientTape(persistent=True) as tape:
        a = ops.sum(v * v)
        b = ops.sum(v * 3.0)
    expect_close("first gradient of a persistent tape", tape.gradient(a, v), [4.0])
    expect_close("second gradient of a persistent tape", tape.gradient(b, v), [3.0])
    expect_close("the first gradient asked again", tape.gradient(a, v), [4.0])


def tape_non_persistent():
    """GradientTape: a non-persistent tape refuses a second gradient()"""
    v = Variable(np.array([2.0]))
    with GradientTape() as tape:
        loss = ops.sum(v * v)
    expect_close("gradient of a non-persistent tape", tape.gradient(loss, v), [4.0])
    expect_raises("a second gradient() of a non-persistent tape", RuntimeError, tape.gradient, loss, v)


def tape_nested():
    """GradientTape: nested tapes, and two tapes recording one forward pass"""
    v = Variable(np.array([2.0]))
    with GradientTape() as outer:
        a = v * v
        with GradientTape() as inner:
            b = v * 3.0
        c = ops.add(a, b)
    expect_close("inner tape: d(3v)/dv", inner.gradient(b, v), [3.0])
    expect_close("outer tape: d(v*v + 3v)/dv", outer.gradient(c, v), [7.0])
    gen, disc = Variable(np.array([2.0])), Variable(np.array([5.0]))
    with GradientTape() as gen_tape, GradientTape() as disc_tape:
        score = (gen * 3.0) * disc
        gen_loss = ops.sum(-score)
        disc_loss = ops.sum(score * score)
    expect_close("first of two tapes", gen_tape.gradient(gen_loss, gen), [-15.0])
    expect_close("second of two tapes", disc_tape.gradient(disc_loss, disc), [360.0])


def tape_stop_recording():
    """GradientTape: stop_recording() and stop_gradient hide ops from the tape"""
    v = Variable(np.array([3.0]))
    with GradientTape() as tape:
        a = v * v
        with tape.stop_recording():
            hidden = v * 100.0
        loss = ops.sum(a + ops.stop_gradient(v * 7.0) + hidden)
    expect_close("gradient with stop_recording() and stop_gradient", tape.gradient(loss, v), [6.0])


def tape_unconnected():
    """GradientTape: None for sources the target does not depend on"""
    used, unused = Variable(np.ones(2)), Variable(np.ones(2))
    x = ops.convert_to_tensor(np.ones(2, np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(used * 2.0)
    grads = tape.gradient(loss, [used, unused, x])
    expect_close("gradient of the connected source", grads[0], [2.0, 2.0])
    expect(grads[1] is None, f"an unconnected Variable got {grads[1]!r}, expected None")
    expect(grads[2] is None, f"an unconnected watched tensor got {grads[2]!r}, expected None")


def tape_structures():
    """GradientTape: list targets add, output_gradients weigh, dict sources keep their keys"""
    v, w = Variable(np.array([1.0, 2.0])), Variable(np.array([1.0, 1.0]))
    with GradientTape(persistent=True) as tape:
        a = v * 2.0
        b = v * v + w
    expect_close("gradient of the list [2v, v*v + w]", tape.gradient([a, b], v), [4.0, 6.0])
    weighted = tape.gradient(a, v, output_gradients=np.array([1.0, 10.0], np.float32))
    expect_close("gradient of 2v with output_gradients [1, 10]", weighted, [2.0, 20.0])
    grads = tape.gradient(b, {"v": v, "w": w})
    expect_equal("keys of the gradient for dict sources", sorted(grads), ["v", "w"])
    expect_close("gradient for dict source 'w'", grads["w"], [1.0, 1.0])


# -- optimizer steps ---------------------------------------------------------------
# A backend may do whole optimizer steps itself (``sgd_update``/``adam_update`` of
# the BACKEND_API); these checks hold either path to Keras's formulas.

_GRADS = [np.array([[0.5, -1.0], [2.0, 0.25]]), np.array([[-0.5, 0.75], [1.0, -2.0]]),
          np.array([[0.1, 0.2], [-0.3, 0.4]])]
_START = np.array([[1.0, -1.0], [0.5, 2.0]])


def _steps(optimizer, *extra_shapes):
    """Three steps of ``optimizer`` on a (2, 2) Variable (plus one Variable per extra shape, gradient 1)."""
    v = Variable(_START)
    others = [Variable(np.zeros(shape)) for shape in extra_shapes]
    for g in _GRADS:
        pairs = [(ops.convert_to_tensor(g.astype(np.float32)), v)]
        pairs += [(ops.convert_to_tensor(np.ones(o.shape, np.float32)), o) for o in others]
        optimizer.apply_gradients(pairs)
    return v, others


def optimizer_sgd():
    """Optimizers: SGD steps, plain and with Nesterov momentum, follow Keras's formulas"""
    from plugnet.optimizers import SGD

    v, (bias,) = _steps(SGD(learning_rate=0.1), (3,))
    want = _START - 0.1 * sum(_GRADS)
    expect_close("3 SGD(learning_rate=0.1) steps", v, want)
    expect_close("3 SGD steps of a second Variable, gradient 1", bias, [-0.3] * 3)
    v, _ = _steps(SGD(learning_rate=0.1, momentum=0.9, nesterov=True))
    want, velocity = _START.copy(), np.zeros_like(_START)
    for g in _GRADS:
        velocity = 0.9 * velocity - 0.1 * g
        want = want + 0.9 * velocity - 0.1 * g
    expect_close("3 SGD(learning_rate=0.1, momentum=0.9, nesterov=True) steps", v, want)


def optimizer_adam():
    """Optimizers: Adam steps follow Keras's formulas"""
    from plugnet.optimizers import Adam

    v, (bias,) = _steps(Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.9, epsilon=1e-7), (3,))
    want, m, s = _START.copy(), np.zeros_like(_START), np.zeros_like(_START)
    for t, g in enumerate(_GRADS, start=1):
        m += (1 - 0.8) * (g - m)
        s += (1 - 0.9) * (g**2 - s)
        alpha = 0.01 * np.sqrt(1 - 0.9**t) / (1 - 0.8**t)
        want = want - alpha * m / (np.sqrt(s) + 1e-7)
    expect_close("3 Adam(learning_rate=0.01, beta_1=0.8, beta_2=0.9) steps", v, want)
    expect_close("3 Adam steps of a second Variable, gradient 1", bias, [-0.03] * 3, atol=1e-5)


VARIABLE_CHECKS = (variable_create, variable_read, variable_assign, variable_trainable)
TAPE_CHECKS = (tape_variable_gradient, tape_watch_tensor, tape_persistent, tape_non_persistent, tape_nested,
               tape_stop_recording, tape_unconnected, tape_structures)
OPTIMIZER_CHECKS = (optimizer_sgd, optimizer_adam)
CHECKS = VARIABLE_CHECKS + TAPE_CHECKS + OPTIMIZER_CHECKS
