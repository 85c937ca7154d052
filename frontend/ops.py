"""``plugnet.ops``: one NumPy-like function per op of the op contract.

Every function here has the signature and meaning declared in
:mod:`plugnet.plugins.contract` and forwards to the active backend through a
single attribute lookup::

    from plugnet import ops
    y = ops.matmul(x, w) + b

The functions are generated from the contract, so ``help(ops.conv)`` shows the
contract's text. They are stable objects: ``from plugnet.ops import relu`` keeps
working across backend switches and inside a GradientTape.
"""

from __future__ import annotations

import ast

from plugnet.plugins.contract import OPS


class _LoadOnFirstUse:
    """Stands in for the op table until the first op call selects the backend.

    Selecting lazily keeps ``import plugnet`` cheap and lets PLUGNET_BACKEND or
    ``set_backend`` decide before any framework is imported.
    """

    def __getattr__(self, name):
        from plugnet import backend

        backend.active()
        return getattr(_impl, name)


_impl = _LoadOnFirstUse()


def _bind(table) -> None:
    """Point every op at ``table`` (a backend's op namespace). Called by plugnet.backend."""
    global _impl
    _impl = table


def _forwarding_source(name: str, signature: str) -> str:
    args = ast.parse(f"def f{signature}: pass").body[0].args
    call = [a.arg for a in args.posonlyargs + args.args]
    if args.vararg:
        call.append("*" + args.vararg.arg)
    call += [f"{a.arg}={a.arg}" for a in args.kwonlyargs]
    return f"def {name}{signature}:\n    return _impl.{name}({', '.join(call)})\n"


def _generate() -> list[str]:
    names = []
    for op in OPS:
        exec(_forwarding_source(op.name, op.signature), globals())
        fn = globals()[op.name]
        fn.__doc__ = f"{op.meaning}.\n\nContract op ({op.category}); differentiable: {op.differentiable}."
        fn.__module__ = __name__
        fn.__qualname__ = op.name
        names.append(op.name)
    return names


__all__ = _generate()

astype = cast  # noqa: F821  (NumPy's spelling; generated above)
__all__.append("astype")
