"""``InputSpec``: what a layer accepts, checked on every call.

A layer declares ``self.input_spec`` (one spec, or a list with one per input),
usually in ``__init__`` (the rank) and in ``build`` (the sizes it built its
weights for). ``Layer.__call__`` checks each input against it and raises a
``ValueError`` naming the layer, the expected and the received shape.
"""

from __future__ import annotations


class InputSpec:
    """The rank, sizes and dtype a layer's input must have.

    Args:
        dtype: the expected dtype name, or None for any.
        shape: the full expected shape; None entries match any size.
        ndim: the exact rank. max_ndim / min_ndim: rank bounds.
        axes: ``{axis: size}`` for axes with a fixed size (negative axes count
            from the end), e.g. ``{-1: 64}`` for a Dense built on 64 features.
        allow_last_axis_squeeze: accept a rank one lower or higher when the
            missing or extra last axis has size 1.
        name: the input's name, for multi-input layers.
        optional: the input may be None.

    Example:
        >>> self.input_spec = InputSpec(min_ndim=2, axes={-1: 64})
    """

    __slots__ = (
        "dtype", "shape", "ndim", "max_ndim", "min_ndim", "axes", "allow_last_axis_squeeze", "name", "optional",
    )

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None, axes=None,
                 allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional
        for axis in self.axes:
            rank = self.ndim if self.ndim is not None else self.max_ndim
            if rank is not None and axis >= rank:
                raise ValueError(f"InputSpec: axis {axis} is out of range for rank {rank}.")

    def expected_shape(self) -> str:
        """The expected shape as text: ``(None, 4)``, or ``(..., 4)`` when only some axes are fixed."""
        if self.shape is not None:
            return _format(self.shape)
        rank = self.ndim
        if rank is not None:
            dims = [None] * rank
            for axis, size in self.axes.items():
                dims[axis] = size
            return _format(dims)
        if self.axes:
            tail = [self.axes.get(axis) for axis in range(min(self.axes), 0)] if min(self.axes) < 0 else []
            head = [self.axes.get(axis) for axis in range(max(self.axes) + 1)] if max(self.axes) >= 0 else []
            parts = [str(d) for d in head] + ["..."] + [str(d) for d in tail]
            return "(" + ", ".join(parts) + ")"
        return "any shape"

    def describe(self) -> str:
        bits = []
        if self.min_ndim is not None:
            bits.append(f"rank >= {self.min_ndim}")
        if self.max_ndim is not None:
            bits.append(f"rank <= {self.max_ndim}")
        if self.ndim is not None and self.shape is None:
            bits.append(f"rank {self.ndim}")
        if self.dtype is not None:
            bits.append(f"dtype {self.dtype}")
        detail = f" ({', '.join(bits)})" if bits else ""
        return self.expected_shape() + detail

    def get_config(self) -> dict:
        return {name: getattr(self, name) for name in self.__slots__}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__
                           if getattr(self, name) not in (None, {}, False))
        return f"InputSpec({fields})"


def _format(shape) -> str:
    shape = tuple(shape)
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def format_shape(shape) -> str:
    """A shape as Python would print the tuple: ``(None, 4)``, ``(3,)``."""
    return _format(shape)


def _incompatible(spec: InputSpec, shape: tuple) -> bool:
    rank = len(shape)
    if spec.ndim is not None and rank != spec.ndim:
        if not (spec.allow_last_axis_squeeze and abs(rank - spec.ndim) == 1):
            return True
        # A size-1 last axis may be missing or extra.
        longer = shape if rank > spec.ndim else spec.shape
        if longer is None or longer[-1] not in (1, None):
            return True
        shape = shape[:-1] if rank > spec.ndim else shape + (1,)
        rank = len(shape)
    if spec.min_ndim is not None and rank < spec.min_ndim:
        return True
    if spec.max_ndim is not None and rank > spec.max_ndim:
        return True
    for axis, size in spec.axes.items():
        if size is None:
            continue
        if not -rank <= axis < rank:
            return True
        actual = shape[axis]
        if actual is not None and actual != size:
            return True
    if spec.shape is not None and rank == len(spec.shape):
        for expected, actual in zip(spec.shape, shape):
            if expected is not None and actual is not None and expected != actual:
                return True
    return False


def check_input_spec(layer_name: str, specs, shapes, dtypes=None) -> None:
    """Raise a ``ValueError`` when an input shape (or dtype) does not satisfy its spec.

    ``specs`` is an :class:`InputSpec` or a list of them; ``shapes`` the inputs'
    shapes as a flat list of tuples.
    """
    if isinstance(specs, InputSpec):
        specs = (specs,)
    if len(specs) != len(shapes):
        raise ValueError(
            f"Layer '{layer_name}' expects {len(specs)} input(s), but it received {len(shapes)} input tensors."
        )
    for index, (spec, shape) in enumerate(zip(specs, shapes)):
        if spec is None or shape is None:
            continue
        if _incompatible(spec, tuple(shape)):
            raise ValueError(
                f"Input {index} of layer '{layer_name}' is incompatible with the layer: "
                f"expected shape {spec.describe()}, but received shape {_format(shape)}."
            )
        if spec.dtype is not None and dtypes is not None and dtypes[index] is not None and dtypes[index] != spec.dtype:
            raise ValueError(
                f"Input {index} of layer '{layer_name}' is incompatible with the layer: "
                f"expected dtype {spec.dtype}, but received dtype {dtypes[index]} (shape {_format(shape)})."
            )
