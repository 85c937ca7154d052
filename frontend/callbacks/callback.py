"""The ``Callback`` base class: hooks called by ``fit``, ``evaluate`` and ``predict``."""

from __future__ import annotations


class Callback:
    """Base class for objects that act at points of training, evaluation and prediction.

    Override the hooks you need; the others do nothing (and cost nothing:
    :class:`~plugnet.callbacks.CallbackList` skips hooks a callback does not
    override). ``self.model`` is the model being trained and ``self.params``
    a dict with ``verbose``, ``epochs`` and ``steps`` (batches per epoch, None
    when unknown).

    ``logs`` is a mapping of metric names to values: at epoch end a dict of
    Python floats (``loss``, metrics, ``val_``-prefixed validation results) that
    a callback may add entries to; at batch end the running metrics of the
    epoch, computed only when a callback reads them.

    Example:

    >>> class PrintLoss(plugnet.callbacks.Callback):
    ...     def on_epoch_end(self, epoch, logs=None):
    ...         print(f"epoch {epoch}: loss {logs['loss']:.3f}")
    >>> model.fit(x, y, epochs=3, callbacks=[PrintLoss()], verbose=0)
    """

    def __init__(self):
        self.params = {}
        self._model = None

    def set_params(self, params: dict) -> None:
        self.params = params

    def set_model(self, model) -> None:
        self._model = model

    @property
    def model(self):
        return self._model

    # -- batch hooks (the train ones also call the legacy on_batch_* names) --

    def on_batch_begin(self, batch, logs=None):
        """Legacy alias of :meth:`on_train_batch_begin`."""

    def on_batch_end(self, batch, logs=None):
        """Legacy alias of :meth:`on_train_batch_end`."""

    def on_train_batch_begin(self, batch, logs=None):
        """Before training batch ``batch`` (0-based, counted within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    def on_train_batch_end(self, batch, logs=None):
        """After training batch ``batch``; ``logs`` holds the epoch's running metrics."""
        self.on_batch_end(batch, logs=logs)

    def on_test_batch_begin(self, batch, logs=None):
        """Before evaluation batch ``batch`` (also during fit's validation)."""

    def on_test_batch_end(self, batch, logs=None):
        """After evaluation batch ``batch``."""

    def on_predict_batch_begin(self, batch, logs=None):
        """Before prediction batch ``batch``."""

    def on_predict_batch_end(self, batch, logs=None):
        """After prediction batch ``batch``; ``logs["outputs"]`` holds the batch's predictions."""

    # -- epoch hooks --

    def on_epoch_begin(self, epoch, logs=None):
        """At the start of epoch ``epoch`` (0-based) of ``fit``."""

    def on_epoch_end(self, epoch, logs=None):
        """At the end of epoch ``epoch``; ``logs`` has the epoch's metrics, ``val_`` ones included."""

    # -- run hooks --

    def on_train_begin(self, logs=None):
        """At the start of ``fit``."""

    def on_train_end(self, logs=None):
        """At the end of ``fit``; ``logs`` is the last epoch's."""

    def on_test_begin(self, logs=None):
        """At the start of ``evaluate`` (and of each validation run in ``fit``)."""

    def on_test_end(self, logs=None):
        """At the end of ``evaluate``; ``logs`` has its results."""

    def on_predict_begin(self, logs=None):
        """At the start of ``predict``."""

    def on_predict_end(self, logs=None):
        """At the end of ``predict``."""


HOOKS = (
    "on_train_batch_begin", "on_train_batch_end", "on_test_batch_begin", "on_test_batch_end",
    "on_predict_batch_begin", "on_predict_batch_end", "on_epoch_begin", "on_epoch_end",
    "on_train_begin", "on_train_end", "on_test_begin", "on_test_end", "on_predict_begin", "on_predict_end",
)

# A train batch hook left as the base's still runs the legacy alias, so it is active when that is overridden.
_ALIASES = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback: Callback, hook: str) -> bool:
    """True when ``callback`` does something in ``hook`` (the base versions do nothing)."""
    if _is_own(callback, hook):
        return True
    alias = _ALIASES.get(hook)
    return alias is not None and _is_own(callback, alias)


def _is_own(callback, name: str) -> bool:
    attribute = getattr(callback, name)
    return getattr(attribute, "__func__", None) is not getattr(Callback, name)
