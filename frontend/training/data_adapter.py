"""The data-adapter interface: one adapter per kind of input data.

``fit``, ``evaluate`` and ``predict`` accept NumPy arrays (or lists/dicts of
them), Python generators and other iterables. Each kind is handled by a
:class:`DataAdapter` subclass that turns the user's data into a stream of
batches; the trainer never looks at the kind itself. A new kind (a torch
``DataLoader``, a ``tf.data.Dataset``) is one more subclass, registered with
:func:`register_data_adapter`::

    @register_data_adapter
    class MyDatasetAdapter(DataAdapter):
        @classmethod
        def can_handle(cls, x, y=None):
            return isinstance(x, MyDataset)
        ...

A batch is what ``train_step(data)`` receives, in Keras's packing: ``x``,
``(x,)`` (when ``x`` is itself a tuple or list), ``(x, y)`` or
``(x, y, sample_weight)`` (see :func:`pack_x_y_sample_weight`).
"""

from __future__ import annotations

_ADAPTERS: list[type["DataAdapter"]] = []


class DataAdapter:
    """Turns one kind of input data into batches, one pass (epoch) at a time.

    Subclasses implement :meth:`can_handle`, ``__init__`` with the signature
    below, :meth:`get_iterator` and :attr:`num_batches`.

    Args (of every subclass's constructor):
        x, y, sample_weight: the user's data, as given to ``fit``.
        batch_size: samples per batch, for data that is not already batched.
        steps: the number of batches per epoch the user asked for, if any.
        shuffle: shuffle the samples before each epoch, where the kind allows it.
        class_weight: a dict ``{class index: weight}`` turned into sample weights.
    """

    #: Whether ``validation_split`` can slice this kind of data.
    supports_validation_split = False

    @classmethod
    def can_handle(cls, x, y=None) -> bool:
        """True when this adapter understands ``x`` (and ``y``)."""
        raise NotImplementedError

    def get_iterator(self):
        """An iterator over the batches of one pass over the data.

        Re-iterable data starts a fresh pass on each call; a one-shot source
        (a generator) continues where the last pass stopped.
        """
        raise NotImplementedError

    @property
    def num_batches(self) -> int | None:
        """Batches in one full pass, or None when unknown (a generator)."""
        return None

    @property
    def batch_size(self) -> int | None:
        """Samples per batch, when the adapter batches the data itself."""
        return None

    @property
    def is_one_shot(self) -> bool:
        """True when the data can be traversed only once (a generator)."""
        return False

    def on_epoch_begin(self) -> None:
        """Called before each pass."""

    def on_epoch_end(self) -> None:
        """Called after each pass."""


def register_data_adapter(adapter: type[DataAdapter]) -> type[DataAdapter]:
    """Class decorator: make ``fit``/``evaluate``/``predict`` accept a new kind of data.

    Adapters registered later are asked first, so a specific adapter (for a
    framework's dataset type) wins over the generic iterable one.
    """
    if adapter in _ADAPTERS:
        _ADAPTERS.remove(adapter)
    _ADAPTERS.insert(0, adapter)
    return adapter


def get_data_adapter(x, y=None, sample_weight=None, batch_size=None, steps=None, shuffle=False, class_weight=None):
    """The adapter for ``x`` (the first registered one whose ``can_handle`` accepts it)."""
    for adapter in _ADAPTERS:
        if adapter.can_handle(x, y):
            return adapter(
                x, y=y, sample_weight=sample_weight, batch_size=batch_size, steps=steps,
                shuffle=shuffle, class_weight=class_weight,
            )
    raise ValueError(
        f"Unrecognized data type: x is a {type(x).__name__}. Expected a NumPy array or backend tensor "
        "(or a list/dict of them for a model with several inputs), or a Python generator or iterable "
        "yielding (x, y) or (x, y, sample_weight) batches."
    )


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """One batch in Keras's packing: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``.

    A tuple or list ``x`` (several inputs) is wrapped as ``(x,)`` so that
    unpacking cannot mistake its second input for ``y``.
    """
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from a batch, with None for what it lacks.

    >>> unpack_x_y_sample_weight((x, y))
    (x, y, None)
    """
    if isinstance(data, (tuple, list)):
        n = len(data)
        if n == 2:
            return data[0], data[1], None
        if n == 1:
            return data[0], None, None
        if n == 3:
            return data[0], data[1], data[2]
        raise ValueError(
            "A batch must be x, (x,), (x, y) or (x, y, sample_weight); "
            f"got a {type(data).__name__} of {n} elements."
        )
    return data, None, None
