"""Op calls compiled with ``jax.jit``, once per *template*.

JAX runs eager code one primitive at a time, and compiles each primitive for
every new combination of shapes and dtypes (tens of milliseconds each on a
CPU). An op such as ``softmax`` or ``max_pool`` is several primitives, and
``jax.vjp`` run eagerly traces its function anew on every call. So ops that
pay for it run compiled instead: the call's *template* is its arguments with
every array taken out and a slot left in its place (Python numbers, shapes,
axes, strings and None stay, as compile-time constants), and each (function,
template) gets one ``jax.jit`` function, which compiles once per shape.

A template whose constants cannot be hashed, or whose function needs an
array's values on the host (a shape given as an array), runs eagerly
instead. An op may declare, with :func:`prepares`, how to turn host-valued
arguments into ones fit for a template (a boolean mask into integer indices,
``repeats`` given as an array into a tuple, an int seed into a key array so
that it is data, not a constant compiled in).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from plugnet.variables import Variable

from .storage import Storage

SLOT = ("slot",)
RECORDED: type | None = None
"""The tape's recorded tensor type (set by :mod:`plugnet_jax.autograd`): its array goes in a slot."""


def split(x, leaves: list, on_array=None):
    """The template of ``x``: ``x`` with every array moved to ``leaves``.

    ``on_array(obj, index)`` is called for every array-like object met (a JAX
    array, a recorded Tensor, a Variable or its storage) with the index of its
    array in ``leaves``; the tape uses it to find what carries gradients.
    """
    kind = type(x)
    if kind is Variable or isinstance(x, Variable):
        value = x._value.value
    elif kind is Storage:
        value = x.value
    elif isinstance(x, jax.Array):
        value = x
    elif kind is RECORDED:
        value = x._value
    elif kind is np.ndarray or isinstance(x, np.generic):
        # NumPy arrays keep their dtype (given explicitly, or JAX would make float64 float32), and
        # are copied (JAX may alias the buffer, which its owner can still change).
        leaves.append(jnp.asarray(np.array(x, copy=True), dtype=x.dtype))
        return SLOT
    elif kind is list or kind is tuple:
        return ("seq", kind, tuple(split(item, leaves, on_array) for item in x))
    elif kind is slice:
        return ("slice", split(x.start, leaves, on_array), split(x.stop, leaves, on_array),
                split(x.step, leaves, on_array))
    else:
        return ("const", kind, x)
    if on_array is not None:
        on_array(x, len(leaves))
    leaves.append(value)
    return SLOT


def rebuild(template, leaves):
    """The arguments ``template`` stands for, with ``leaves`` (an iterator) in its slots."""
    if template is SLOT:
        return next(leaves)
    tag = template[0]
    if tag == "seq":
        return template[1](rebuild(item, leaves) for item in template[2])
    if tag == "slice":
        return slice(*(rebuild(part, leaves) for part in template[1:]))
    return template[2]


PREPARE: dict = {}
"""Per op name: a function rewriting the op's arguments before a template is made of them."""


def prepares(forward):
    """Decorator: register how ``forward``'s arguments are made fit for a template.

    The function takes the op's arguments and returns new ones meaning the same.
    """

    def attach(fn):
        PREPARE[forward.__name__] = fn
        return fn

    return attach


# One jitted function per (function, template, extra key); jax.jit keeps one
# executable per shape and dtype under each. Constants that vary without end (a
# float that changes every call) would compile without end: past this many
# templates a function runs its new ones eagerly.
MAX_TEMPLATES = 256
compiled: dict = {}
eager_only: set = set()
_per_function: dict = {}
_TRACE_ERRORS = (jax.errors.JAXTypeError, jax.errors.JAXIndexError)


def call(key, make, leaves):
    """``make()(*leaves)``, through the jitted function cached under ``key`` where possible.

    ``key[0]`` is the function whose templates are counted. Returns the result
    and whether it ran compiled.
    """
    try:
        hash(key)
    except TypeError:
        key = None
    if key is not None and key not in eager_only:
        fn = compiled.get(key)
        if fn is None and _per_function.get(key[0], 0) < MAX_TEMPLATES:
            fn = compiled[key] = jax.jit(make())
            _per_function[key[0]] = _per_function.get(key[0], 0) + 1
        if fn is not None:
            try:
                return fn(*leaves), True
            except _TRACE_ERRORS:
                # The function needs some value on the host (a data-dependent shape): never trace it again.
                eager_only.add(key)
                del compiled[key]
    return make()(*leaves), False


def _traced(leaves) -> bool:
    return any(isinstance(leaf, jax.core.Tracer) for leaf in leaves)


def compiled_op(forward):
    """The op ``forward`` run as one compiled call per template (outside any trace).

    Inside a trace (a compiled step, a recorded op's vjp) it runs as written:
    the enclosing compilation covers it.
    """
    prepare = PREPARE.get(forward.__name__)

    def op(*args):
        if prepare is not None:
            args = prepare(*args)
        leaves = []
        template = split(args, leaves)
        if _traced(leaves):
            return forward(*args)

        def make():
            return lambda *values: forward(*rebuild(template, iter(values)))

        return call((forward, template), make, leaves)[0]

    op.__name__ = forward.__name__
    op.__doc__ = forward.__doc__
    op.__wrapped__ = forward
    return op
