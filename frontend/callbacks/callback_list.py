"""``CallbackList``: calls every callback's hook, in order, skipping hooks nobody overrides."""

from __future__ import annotations

from plugnet.callbacks.callback import HOOKS, Callback, overrides
from plugnet.callbacks.history import History
from plugnet.callbacks.progbar_logger import ProgbarLogger

_INDEXED = frozenset(name for name in HOOKS if "batch" in name or "epoch" in name)


class CallbackList(Callback):
    """The callbacks of one ``fit``/``evaluate``/``predict`` call, treated as one.

    For each hook it keeps the bound methods of the callbacks that override
    it, so a training step calls nothing when no callback acts per batch.

    Args:
        callbacks: a list of :class:`Callback` instances.
        add_history: append a :class:`History` unless one is in the list.
        add_progbar: append a :class:`ProgbarLogger` unless one is in the list.
        model: the model every callback gets with ``set_model``.
        **params: the ``params`` dict every callback gets (``verbose``, ``epochs``, ``steps``).

    Example:
        >>> callbacks = CallbackList([EarlyStopping()], add_history=True, model=model, epochs=10)
        >>> callbacks.on_epoch_end(0, {"val_loss": 0.5})
    """

    def __init__(self, callbacks=None, add_history=False, add_progbar=False, model=None, **params):
        super().__init__()
        self.callbacks = []
        for callback in callbacks or ():
            self._check(callback)
            self.callbacks.append(callback)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)
        self._index_hooks()

    @staticmethod
    def _check(callback) -> None:
        if not isinstance(callback, Callback):
            raise TypeError(
                f"callbacks must be plugnet.callbacks.Callback instances; got {callback!r} "
                f"(a {type(callback).__name__})."
            )

    def _index_hooks(self) -> None:
        self._hooks = {name: [getattr(c, name) for c in self.callbacks if overrides(c, name)] for name in HOOKS}

    @property
    def history(self) -> History | None:
        """The History callback in the list, if any."""
        return self._history

    def append(self, callback: Callback) -> None:
        self._check(callback)
        self.callbacks.append(callback)
        if self._model is not None:
            callback.set_model(self._model)
        if self.params:
            callback.set_params(self.params)
        self._index_hooks()

    def set_model(self, model) -> None:
        super().set_model(model)
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        for callback in self.callbacks:
            callback.set_params(params)

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)


def _indexed_dispatch(name: str):
    def dispatch(self, index, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks[name]:
            hook(index, logs)

    return dispatch


def _run_dispatch(name: str):
    def dispatch(self, logs=None):
        logs = {} if logs is None else logs
        for hook in self._hooks[name]:
            hook(logs)

    return dispatch


for _name in HOOKS:
    _method = _indexed_dispatch(_name) if _name in _INDEXED else _run_dispatch(_name)
    _method.__name__ = _method.__qualname__ = _name
    _method.__doc__ = f"Call ``{_name}`` on every callback that overrides it."
    setattr(CallbackList, _name, _method)
# The legacy names dispatch through the train batch hooks, never on their own.
CallbackList.on_batch_begin = CallbackList.on_train_batch_begin
CallbackList.on_batch_end = CallbackList.on_train_batch_end
