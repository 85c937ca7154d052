"""``LambdaCallback``: a callback made of plain functions."""

from __future__ import annotations

from plugnet.callbacks.callback import HOOKS, Callback


class LambdaCallback(Callback):
    """Builds a callback from functions, one per hook.

    Epoch and batch hooks are called as ``fn(index, logs)``, run hooks
    (``on_train_begin``, ...) as ``fn(logs)``. Any hook of
    :class:`Callback` can be given by name.

    Example:
        >>> seen = []
        >>> log_epochs = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
        >>> model.fit(x, y, epochs=3, callbacks=[log_epochs], verbose=0)
        >>> seen
        [0, 1, 2]
    """

    def __init__(self, on_epoch_begin=None, on_epoch_end=None, on_train_begin=None, on_train_end=None,
                 on_train_batch_begin=None, on_train_batch_end=None, **kwargs):
        super().__init__()
        hooks = dict(on_epoch_begin=on_epoch_begin, on_epoch_end=on_epoch_end, on_train_begin=on_train_begin,
                     on_train_end=on_train_end, on_train_batch_begin=on_train_batch_begin,
                     on_train_batch_end=on_train_batch_end, **kwargs)
        valid = set(HOOKS) | {"on_batch_begin", "on_batch_end"}
        for name, fn in hooks.items():
            if name not in valid:
                raise TypeError(
                    f"LambdaCallback got an unknown hook {name!r}. Valid hooks: {', '.join(sorted(valid))}."
                )
            if fn is not None:
                if not callable(fn):
                    raise TypeError(f"LambdaCallback({name}=...) must be a function, got {fn!r}.")
                setattr(self, name, fn)
