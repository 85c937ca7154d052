"""``plugnet.GradientTape``: records ops and computes gradients, on any backend.

It maps onto each backend's own machinery (the NumPy backend's reverse-mode
tape, torch autograd, ``tf.GradientTape``) with TensorFlow's semantics::

    with plugnet.GradientTape() as tape:
        loss = ops.mean(ops.square(model(x) - y))
    grads = tape.gradient(loss, model.trainable_variables)

Trainable Variables used inside the block are watched automatically; other
tensors with :meth:`GradientTape.watch`. Several tapes may record at once (a GAN
trains two models from one forward pass); a ``persistent=True`` tape answers
``gradient`` more than once.
"""

from __future__ import annotations

import contextlib

from plugnet import backend as _backend


def _flatten(structure):
    if isinstance(structure, dict):
        keys = list(structure)
        return [structure[k] for k in keys], lambda flat: dict(zip(keys, flat))
    if isinstance(structure, (list, tuple)):
        kind = type(structure)
        return list(structure), (lambda flat: kind(flat)) if kind in (list, tuple) else (lambda flat: kind(*flat))
    return [structure], lambda flat: flat[0]


class GradientTape:
    """Record operations for automatic differentiation.

    Args:
        persistent: allow more than one call to :meth:`gradient`.
        watch_accessed_variables: watch every trainable Variable read inside
            the block (default). With False, only what :meth:`watch` names.
    """

    def __init__(self, persistent: bool = False, watch_accessed_variables: bool = True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._tape = None
        self._recording = False
        self._used = False

    def __enter__(self):
        if self._tape is None:
            self._tape = _backend.active().Tape(self.persistent, self.watch_accessed_variables)
        self._tape.__enter__()
        _backend._push_recording()
        self._recording = True
        return self

    def __exit__(self, *exc_info):
        self._recording = False
        _backend._pop_recording()
        return self._tape.__exit__(*exc_info)

    def watch(self, tensor) -> None:
        """Watch a tensor, a Variable, or a list/dict of them."""
        self._require_tape("watch")
        for item in _flatten(tensor)[0]:
            self._tape.watch(item)

    def gradient(self, target, sources, output_gradients=None):
        """d(target)/d(sources), shaped like ``sources`` (a single item, list, tuple or dict).

        ``target`` is a tensor (summed if not scalar, as TensorFlow does) or a
        list of tensors whose gradients add. A source the target does not
        depend on gets ``None``.
        """
        self._require_tape("gradient")
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can only be used to compute one set of gradients. "
                "Use GradientTape(persistent=True) to call gradient() more than once."
            )
        self._used = True
        flat, rebuild = _flatten(sources)
        targets = target if isinstance(target, (list, tuple)) else [target]
        if output_gradients is not None and not isinstance(output_gradients, (list, tuple)):
            output_gradients = [output_gradients]
        grads = self._tape.gradient(list(targets), flat, output_gradients)
        return rebuild(list(grads))

    @contextlib.contextmanager
    def stop_recording(self):
        """Run a block whose ops are not recorded on any tape."""
        self._require_tape("stop_recording")
        _backend._pop_recording()
        try:
            with self._tape.stop_recording():
                yield
        finally:
            _backend._push_recording()

    def reset(self) -> None:
        """Forget what was recorded so far (the tape keeps recording if active)."""
        self._require_tape("reset")
        self._tape.reset()

    def _require_tape(self, what: str) -> None:
        if self._tape is None:
            raise RuntimeError(f"GradientTape.{what}() needs the tape to have been entered with `with`.")
