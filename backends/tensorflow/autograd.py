"""The TensorFlow backend's side of ``plugnet.GradientTape``, recording pauses and compiled steps.

:class:`Tape` wraps a real ``tf.GradientTape``: TensorFlow records every op
(plugnet's and the user's own TensorFlow code alike), watches trainable
``tf.Variable`` storages when they are read, and returns ``None`` for sources
a target does not depend on. Gradients that TensorFlow keeps sparse
(``tf.IndexedSlices``, from gathers) are returned dense, shaped like their
source.

Pausing (``stop_recording``, ``no_recording``) pauses *every* active tape, as
plugnet's contract says (``tf.GradientTape.stop_recording`` pauses only its
own): a GAN's two tapes share a forward pass and must both skip the block.
"""

from __future__ import annotations

import tensorflow as tf

from plugnet.plugins.nest import PerStructure
from plugnet.variables import Variable

try:
    from tensorflow.python.eager.record import stop_recording as _pause_all_tapes
except ImportError:  # pragma: no cover - older TensorFlow
    from tensorflow.python.eager.tape import stop_recording as _pause_all_tapes


def _storage(x):
    """What TensorFlow differentiates for ``x``: a plugnet Variable's tf.Variable, else ``x``."""
    return x._value if isinstance(x, Variable) else x


def _dense(grad):
    return tf.convert_to_tensor(grad) if isinstance(grad, tf.IndexedSlices) else grad


class Tape:
    """A ``tf.GradientTape`` with plugnet's argument conventions."""

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._tape = self._new_tape()

    def _new_tape(self):
        return tf.GradientTape(persistent=self.persistent, watch_accessed_variables=self.watch_accessed_variables)

    def __enter__(self):
        self._tape.__enter__()
        return self

    def __exit__(self, *exc_info):
        self._tape.__exit__(*exc_info)
        return False

    def watch(self, x) -> None:
        x = _storage(x)
        if not isinstance(x, (tf.Tensor, tf.Variable)):
            raise TypeError(
                f"GradientTape.watch() on the 'tensorflow' backend takes a tensor or Variable, got "
                f"{type(x).__name__}. Convert it once with plugnet.ops.convert_to_tensor and use that tensor: "
                f"each op converts host data anew, so gradients cannot be traced back to it."
            )
        if x.dtype.is_floating or x.dtype.is_complex:  # integer tensors carry no gradient, as in TensorFlow
            self._tape.watch(x)

    def gradient(self, targets, sources, output_gradients=None):
        storages = [_storage(s) for s in sources]
        # Host data (NumPy arrays) cannot have been recorded: no gradient, as for an unconnected tensor.
        traceable = [i for i, s in enumerate(storages) if isinstance(s, (tf.Tensor, tf.Variable))]
        targets = [_storage(t) for t in targets]
        weights = [None] * len(targets) if output_gradients is None else list(output_gradients)
        # A Python number as a target is a constant: it adds nothing to any gradient.
        kept = [(t, w) for t, w in zip(targets, weights) if isinstance(t, (tf.Tensor, tf.Variable))]
        if not kept or not traceable:
            return [None] * len(storages)
        targets = [t for t, _ in kept]
        if output_gradients is not None:
            output_gradients = [None if w is None else tf.cast(_storage(w), t.dtype) for t, w in kept]
        grads = self._tape.gradient(targets, [storages[i] for i in traceable], output_gradients)
        result = [None] * len(storages)
        for i, g in zip(traceable, grads):
            result[i] = None if g is None else _dense(g)
        return result

    def stop_recording(self):
        return _pause_all_tapes()

    def reset(self) -> None:
        if self._tape._recording:
            self._tape.reset()
        else:
            self._tape = self._new_tape()


def no_recording():
    """A block recorded on no tape (the trainer's optimizer steps and metric updates)."""
    return _pause_all_tapes()


def compile_step(fn, jit_compile=None):
    """``fn`` as a ``tf.function``: traced once per input shape, and XLA-compiled when
    ``jit_compile`` is True. Shapes stay concrete (no ``reduce_retracing``): layers,
    losses and metrics then see real batch sizes, at the price of one more trace for
    a smaller last batch. Autograph is off: plugnet's steps branch on Python values
    only, and converting them would only slow tracing down.

    ``fn`` takes one batch (tensors in tuples, lists and dicts); the result takes it too."""
    xla = None if jit_compile is None else bool(jit_compile)
    # Called with the batch's tensors as positional arguments: a tf.function pays on every call for
    # each level of nesting of its arguments (about 40 us for (x, y, None) against x, y).
    return PerStructure(fn, lambda flat_fn: tf.function(flat_fn, jit_compile=xla, reduce_retracing=False,
                                                        autograph=False))
