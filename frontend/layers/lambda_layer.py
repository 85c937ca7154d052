"""``Lambda``: wrap a Python function as a layer (and why loading one is opt-in)."""

from __future__ import annotations

import base64
import builtins
import inspect
import marshal
import sys
import types

from plugnet import registry
from plugnet.layers.layer import Layer
from plugnet.layers.output_probe import probe_output_spec
from plugnet.layers.structure import flatten, map_shapes, map_structure
from plugnet.layers.symbolic import KerasTensor

_BYTECODE = "__lambda__"


@registry.register_serializable()
class Lambda(Layer):
    """A layer that calls ``function(inputs, **arguments)``.

    For quick, stateless transformations; a layer with weights should be a
    :class:`Layer` subclass. Keras 3's semantics, saving included: the config
    stores a registered function by name and any other function as marshalled
    bytecode (base64). **Loading bytecode runs code from the file**, so it is
    refused unless the loader opts in with ``load_model(..., safe_mode=False)``;
    a named function can instead be supplied at load time through
    ``custom_objects={"my_function": my_function}``, which needs no opt-in.
    Bytecode only loads on the Python version that wrote it; a loaded lambda
    sees the globals ``ops`` (:mod:`plugnet.ops`), ``np`` and ``plugnet``.

    Args:
        function: called as ``function(inputs, **arguments)``; gets
            ``training=`` too when it takes that argument.
        output_shape: the output shape without the batch axis (a tuple), or a
            function of the input shape returning the full output shape. By
            default the shape is found by running ``function`` on zeros.
        arguments: a dict of extra keyword arguments (plain data).

    Example:
        >>> double = plugnet.layers.Lambda(lambda x: x * 2.0)
        >>> double(np.ones((1, 3)))           # [[2., 2., 2.]]
    """

    def __init__(self, function, output_shape=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda layer '{self.name}': `function` must be callable, got {function!r}.")
        if output_shape is not None and not callable(output_shape) and not isinstance(output_shape, (list, tuple)):
            raise TypeError(
                f"Lambda layer '{self.name}': `output_shape` must be a tuple, a function or None, got {output_shape!r}."
            )
        if arguments is not None and not isinstance(arguments, dict):
            raise TypeError(f"Lambda layer '{self.name}': `arguments` must be a dict, got {arguments!r}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self._output_shape = tuple(output_shape) if isinstance(output_shape, list) else output_shape
        try:
            self._takes_training = "training" in inspect.signature(function).parameters
        except (TypeError, ValueError):
            self._takes_training = False

    def call(self, inputs, training=None):
        kwargs = dict(self.arguments)
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_output_spec(self, *args, **kwargs):
        if self._output_shape is None:
            return probe_output_spec(self, args, kwargs)
        input_shape = map_structure(lambda t: t.shape, args[0])
        if callable(self._output_shape):
            shape = self._output_shape(input_shape)
        else:
            batch = flatten(input_shape)[0] if isinstance(input_shape, (list, dict)) else input_shape[0]
            shape = (batch,) + tuple(self._output_shape)
        return map_shapes(lambda s: KerasTensor(s, self.compute_dtype), shape)

    def get_config(self) -> dict:
        config = super().get_config()
        output_shape = self._output_shape
        config.update(
            function=_serialize_function(self.function, self.name),
            output_shape=_serialize_function(output_shape, self.name) if callable(output_shape)
            else None if output_shape is None else list(output_shape),
            arguments=self.arguments,
        )
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects=None, safe_mode=None):
        """A Lambda from :meth:`get_config`. Bytecode is refused unless ``safe_mode=False``
        (or the load runs with ``safe_mode=False``); names resolve through the registry
        and ``custom_objects`` only."""
        from plugnet.saving.safe_mode import in_safe_mode

        safe = in_safe_mode() if safe_mode is None else bool(safe_mode)
        config = dict(config)
        owner = config.get("name", "lambda")
        config["function"] = _deserialize_function(config.get("function"), owner, custom_objects, safe)
        if isinstance(config.get("output_shape"), (str, dict)):
            config["output_shape"] = _deserialize_function(config["output_shape"], owner, custom_objects, safe)
        return cls(**config)


def _serialize_function(function, owner: str):
    """A registered function's name, else ``{"class_name": "__lambda__", "config": {...bytecode...}}``."""
    registered = getattr(function, "_registered_name", None)
    if registered is not None:
        return registered
    if not isinstance(function, types.FunctionType):
        raise TypeError(
            f"Lambda layer '{owner}': cannot save {function!r}: only Python functions (or registered ones) can be "
            f"stored in a config."
        )
    closure = None
    if function.__closure__:
        closure = [cell.cell_contents for cell in function.__closure__]
    for kind, values in (("closure", closure), ("default arguments", function.__defaults__)):
        for value in values or ():
            if not _is_plain(value):
                raise ValueError(
                    f"Lambda layer '{owner}': cannot save function {function.__name__!r}: its {kind} hold "
                    f"{value!r}, which is not plain data. Register the function with "
                    f"plugnet.registry.register_serializable() (then it is saved by name), or write a Layer subclass."
                )
    return {
        "class_name": _BYTECODE,
        "config": {
            "name": function.__name__,
            "code": base64.b64encode(marshal.dumps(function.__code__)).decode("ascii"),
            "defaults": None if function.__defaults__ is None else list(function.__defaults__),
            "closure": closure,
            "python_version": _python_version(),
        },
    }


def _deserialize_function(value, owner: str, custom_objects, safe: bool):
    if isinstance(value, str):
        function = registry.get_registered(value, custom_objects)
        if not callable(function) or isinstance(function, type):
            raise ValueError(f"Lambda layer '{owner}': {value!r} names {function!r}, not a function.")  # noqa: TRY004
        return function
    if not (isinstance(value, dict) and value.get("class_name") == _BYTECODE and isinstance(value.get("config"), dict)):
        raise ValueError(f"Lambda layer '{owner}': the stored function {value!r} is neither a name nor bytecode.")
    stored = value["config"]
    name = stored.get("name")
    # A named function supplied by the loader replaces the stored bytecode, which then is never decoded.
    if isinstance(name, str) and name != "<lambda>":
        try:
            function = registry.get_registered(name, custom_objects)
        except ValueError:
            function = None
        if callable(function) and not isinstance(function, type):
            return function
    if safe:
        raise ValueError(
            f"Lambda layer '{owner}' holds Python bytecode for function {name!r}; loading it would run code from "
            f"the file, so it is refused in safe mode. If you trust the file, load it with safe_mode=False"
            + (f", or pass custom_objects={{{name!r}: {name}}}." if name and name != "<lambda>" else ".")
        )
    return _function_from_bytecode(stored, owner)


def _function_from_bytecode(stored: dict, owner: str):
    version = stored.get("python_version")
    if version != _python_version():
        raise ValueError(
            f"Lambda layer '{owner}': its function was saved as Python {version} bytecode, which Python "
            f"{_python_version()} cannot run. Load it with Python {version}, or rebuild the layer in code."
        )
    try:
        code = marshal.loads(base64.b64decode(stored["code"], validate=True))
    except (KeyError, TypeError, ValueError, EOFError) as exc:
        raise ValueError(f"Lambda layer '{owner}': the stored bytecode is corrupt ({exc}).") from None
    if not isinstance(code, types.CodeType):
        raise ValueError(f"Lambda layer '{owner}': the stored bytecode is not a code object.")  # noqa: TRY004
    closure = stored.get("closure")
    if len(closure or ()) != len(code.co_freevars):
        raise ValueError(
            f"Lambda layer '{owner}': the function needs {len(code.co_freevars)} closure values, "
            f"the config has {len(closure or ())}."
        )
    import numpy as np
    import plugnet
    from plugnet import ops

    scope = {"__builtins__": builtins, "ops": ops, "np": np, "plugnet": plugnet}
    defaults = stored.get("defaults")
    return types.FunctionType(
        code, scope, stored.get("name") or "<lambda>", None if defaults is None else tuple(defaults),
        tuple(types.CellType(value) for value in closure) if closure else None,
    )


def _is_plain(value) -> bool:
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _is_plain(v) for k, v in value.items())
    return False


def _python_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"
