"""A model's steps as the backend runs them: eager, compiled, traced into a graph, or replayed.

``Backend.compile_step(fn, jit_compile)`` compiles a step. A backend with
``replay_steps`` (NumPy, torch) replays it instead, unless ``jit_compile`` asks
for its compiler (:mod:`plugnet.training.replay`): the same protocol as a
graph, with the recording as the trace. A backend with
``graph_steps`` (TensorFlow's ``tf.function``, JAX's ``jax.jit``) runs the
step's Python only while tracing, so the traced body must return tensors (the
metric results, or the outputs) and keep every sum in Variables: the loss
tracker switches to its Variables, and the first call runs eagerly so that
the model, optimizer and metrics create their Variables outside the graph.
"""

from __future__ import annotations

from plugnet import backend as _backend
from plugnet.training.logs import LazyLogs, pythonify
from plugnet.training.replay import replayed


def compiled(model, step, returns: str):
    """``step`` (a bound train/test/predict step of ``model``) as the active backend runs it.

    ``returns`` is ``"metrics"`` (the step returns the metrics' logs) or
    ``"outputs"`` (predictions). The result takes ``(data, reset_metrics=False)``
    when it is traced, so that ``train_on_batch`` can reset the metrics inside
    the traced step (``resets_metrics`` is then set on it).
    """
    backend = _backend.active()
    if model.run_eagerly:
        return step
    if not backend.graph_steps:
        if model.jit_compile:
            return backend.compile_step(step, model.jit_compile)
        if not backend.replay_steps:
            return step
        compile_step = _replay_step
    else:
        compile_step = backend.compile_step
    tracker = model._loss_tracker
    if tracker is not None:
        tracker._sync()  # what eager steps summed moves into the Variables first
        tracker.graph = True

    def body(data):
        result = step(data)
        if returns == "outputs" or not isinstance(result, LazyLogs):
            return result
        return model._metric_tensors()

    def resetting_body(data):
        model.reset_metrics()
        return body(data)

    # train_on_batch resets the metrics before each step: inside a traced step of its own that
    # is one more op of the graph, where eagerly it costs TensorFlow an op call per Variable.
    functions = {False: compile_step(body, model.jit_compile)}
    state = {"warm": False}

    def run(data, reset_metrics=False):
        if not state["warm"]:
            state["warm"] = True
            if reset_metrics:
                model.reset_metrics()
            return step(data)
        function = functions.get(reset_metrics)
        if function is None:
            function = functions[reset_metrics] = compile_step(resetting_body, model.jit_compile)
        result = function(data)
        return result if returns == "outputs" else LazyLogs(lambda: pythonify(result))

    run.resets_metrics = True
    run.functions = functions
    return run


def _replay_step(fn, jit_compile=None):
    return replayed(fn)
