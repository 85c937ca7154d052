"""``Layer``: the base class of every layer and model.

A layer is ``build()`` (create weights once the input shape is known) plus
``call()`` (compute the output) plus ``get_config()`` (its constructor
arguments). ``Layer.__call__`` does the rest: it converts NumPy inputs to
tensors, builds the layer on its first call, checks inputs against
``input_spec``, hands the ``training`` flag down to nested layers, records
activity regularization, and, on symbolic :class:`~plugnet.KerasTensor`
inputs, records a graph node instead of computing.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import weakref

import numpy as np

from plugnet import backend as _backend
from plugnet import initializers, ops, registry, regularizers
from plugnet.dtypes import FLOATX, is_float, standardize_dtype
from plugnet.layers import tracking
from plugnet.layers.call_context import _local as _call_local
from plugnet.layers.call_inputs import convert_input
from plugnet.layers.input_spec import InputSpec, _incompatible, check_input_spec, format_shape
from plugnet.layers.naming import to_snake_case, unique_name
from plugnet.layers.output_probe import probe_output_spec
from plugnet.layers.structure import flatten, is_shape, map_shapes, map_structure, pack_like
from plugnet.layers.symbolic import KerasTensor, Node, is_symbolic
from plugnet.variables import Variable

# id -> weak reference of the layers whose add_loss() results are pending; the
# next outermost call clears them. (A dict, as its truth test is the cheapest.)
_loss_holders: dict = {}
_CONTAINERS = (list, tuple, dict)


class Layer:
    """Base class of all layers: subclass it and implement ``build`` and ``call``.

    Args:
        trainable: whether the layer's weights are trained.
        name: a unique name; by default the class name in snake case, numbered
            (``dense``, ``dense_1``...).
        dtype: the dtype of the weights and computations (default ``"float32"``).
        autocast: cast floating inputs to ``dtype`` on call (default True).
        activity_regularizer: a regularizer applied to the layer's output,
            added to ``losses`` on each call.
        input_shape / input_dim: the shape (without batch) of the input, for
            the first layer of a ``Sequential`` model.

    Example:
        >>> class Linear(plugnet.layers.Layer):
        ...     def __init__(self, units, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.units = units
        ...     def build(self, input_shape):
        ...         self.w = self.add_weight((input_shape[-1], self.units))
        ...         self.b = self.add_weight((self.units,), initializer="zeros")
        ...     def call(self, inputs):
        ...         return ops.matmul(inputs, self.w) + self.b
        >>> Linear(4)(np.ones((2, 3))).shape
        (2, 4)
    """

    # Functional models convert their inputs themselves, to each Input's dtype.
    _convert_input_args = True

    def __new__(cls, *args, **kwargs):
        layer = object.__new__(cls)
        # Set before __init__ runs, so a subclass may assign sublayers before
        # calling super().__init__(), and so get_config() can default to the
        # constructor arguments.
        layer.__dict__.update(
            _tracked_names={},
            _init_args=(args, kwargs),
            _cache=None,
            _cache_version=-1,
        )
        return layer

    def __init__(self, *, activity_regularizer=None, trainable=True, dtype=None, autocast=True, name=None, **kwargs):
        input_dim = kwargs.pop("input_dim", None)
        input_shape = (input_dim,) if input_dim is not None else kwargs.pop("input_shape", None)
        if kwargs:
            raise ValueError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {kwargs}. "
                f"Check the spelling against the documented arguments."
            )
        if name is not None and (not isinstance(name, str) or not name or "/" in name):
            raise ValueError(f"{type(self).__name__}: `name` must be a non-empty string without '/', got {name!r}.")
        self.__dict__.update(
            _name=name or unique_name(to_snake_case(type(self).__name__)),
            _trainable=bool(trainable),
            _dtype=_standardize_layer_dtype(dtype, type(self).__name__),
            _autocast=bool(autocast),
            _activity_regularizer=regularizers.get(activity_regularizer),
            _input_shape_arg=None if input_shape is None else tuple(input_shape),
            _own_variables=[],
            _frozen_variables=[],
            _losses=[],
            _inbound_nodes=[],
            _outbound_nodes=[],
            _build_shapes=None,
            built=False,
            input_spec=None,
        )
        tracking.bump()

    # ------------------------------------------------------------------ naming & dtype

    @property
    def name(self) -> str:
        return self._name

    @property
    def dtype(self) -> str:
        """The dtype of the layer's weights, e.g. ``"float32"``."""
        return self._dtype

    @property
    def variable_dtype(self) -> str:
        return self._dtype

    @property
    def compute_dtype(self) -> str:
        """The dtype floating inputs are cast to."""
        return self._dtype

    @property
    def activity_regularizer(self):
        return self._activity_regularizer

    @activity_regularizer.setter
    def activity_regularizer(self, value):
        self.__dict__["_activity_regularizer"] = regularizers.get(value)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"

    # ------------------------------------------------------------------ tracking

    def __setattr__(self, name, value):
        if isinstance(value, _TRACKABLE):
            value = tracking.wrap(value)
            self._tracked_names[name] = None
            tracking.bump()
        elif name in self._tracked_names:
            del self._tracked_names[name]
            tracking.bump()
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if self._tracked_names.pop(name, 0) is None:
            tracking.bump()
        object.__delattr__(self, name)

    def _tracked_children(self):
        """The Layers and Variables this layer holds in its attributes, in assignment order."""
        attributes = self.__dict__
        for name in self._tracked_names:
            yield from _walk(attributes.get(name))

    def _direct_variables(self) -> list:
        found = list(self._own_variables)
        ids = {id(v) for v in found}
        for item in self._tracked_children():
            if isinstance(item, Variable) and id(item) not in ids:
                ids.add(id(item))
                found.append(item)
        return found

    def _sublayers(self) -> list:
        found, ids = [], {id(self)}
        for item in self._tracked_children():
            if isinstance(item, Layer) and id(item) not in ids:
                ids.add(id(item))
                found.append(item)
        return found

    def _cached(self) -> dict:
        if self._cache_version != tracking._version:
            self.__dict__["_cache"] = self._build_cache()
            self.__dict__["_cache_version"] = tracking._version
        return self._cache

    def _build_cache(self) -> dict:
        layers, layer_ids = [self], {id(self)}
        weights, weight_ids = [], set()
        for variable in self._direct_variables():
            weight_ids.add(id(variable))
            weights.append(variable)
        for sublayer in self._sublayers():
            for layer in sublayer._flatten_layers():
                if id(layer) not in layer_ids:
                    layer_ids.add(id(layer))
                    layers.append(layer)
            for variable in sublayer.weights:
                if id(variable) not in weight_ids:
                    weight_ids.add(id(variable))
                    weights.append(variable)
        regularized = [v for v in weights if getattr(v, "regularizer", None) is not None]
        return {"layers": layers, "weights": weights, "regularized": regularized}

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list:
        """This layer and every layer inside it, each once, parents before children."""
        if not recursive:
            return ([self] if include_self else []) + self._sublayers()
        layers = self._cached()["layers"]
        return list(layers) if include_self else layers[1:]

    # ------------------------------------------------------------------ weights

    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, regularizer=None,
                   constraint=None, name=None):
        """Create a weight of this layer and return it (a :class:`plugnet.Variable`).

        Args:
            shape: the weight's shape (default: a scalar).
            initializer: a name (``"glorot_uniform"``, ``"zeros"``), an
                initializer, a callable ``f(shape, dtype)`` or an array. Default:
                ``"glorot_uniform"`` for floating weights, ``"zeros"`` otherwise.
            dtype: default: the layer's dtype.
            trainable: whether optimizers train it.
            regularizer: a regularizer whose penalty is added to ``losses``.
            constraint: a callable ``f(weight) -> weight`` applied after each
                optimizer update.
            name: the weight's name, e.g. ``"kernel"``.

        Example:
            >>> self.kernel = self.add_weight((input_dim, units), name="kernel")
        """
        shape = () if shape is None else tuple(shape)
        if any(d is None for d in shape):
            raise ValueError(
                f"Layer '{self.name}': cannot create weight {name or ''!r} of shape {format_shape(shape)}: "
                f"every dimension must be known. Check the input shape the layer is built with."
            )
        shape = tuple(int(d) for d in shape)
        dtype = standardize_dtype(dtype) if dtype is not None else self._dtype
        if initializer is None:
            initializer = "glorot_uniform" if is_float(dtype) else "zeros"
        if not (ops.is_tensor(initializer) or isinstance(initializer, (np.ndarray, Variable))):
            initializer = initializers.get(initializer)
        constraint = get_constraint(constraint)
        variable = Variable(initializer, shape=shape, dtype=dtype, trainable=trainable, name=name)
        self.__dict__["_weights_backend"] = variable._backend
        variable.regularizer = regularizers.get(regularizer)
        variable.constraint = constraint
        variable.path = f"{self.name}/{variable.name}"
        self._track_variable(variable)
        return variable

    def _track_variable(self, variable) -> None:
        self._own_variables.append(variable)
        if not self._trainable and variable.trainable:
            variable.trainable = False
            self._frozen_variables.append(variable)
        tracking.bump()

    @property
    def weights(self) -> list:
        """Every weight of the layer and its sublayers, each once, in creation order."""
        return list(self._cached()["weights"])

    @property
    def trainable_weights(self) -> list:
        if not self._trainable:
            return []
        return [v for v in self._cached()["weights"] if v.trainable]

    @property
    def non_trainable_weights(self) -> list:
        weights = self._cached()["weights"]
        if not self._trainable:
            return list(weights)
        return [v for v in weights if not v.trainable]

    variables = weights
    trainable_variables = trainable_weights
    non_trainable_variables = non_trainable_weights

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value) -> None:
        """Freeze (False) or unfreeze the layer, its weights and all its sublayers."""
        value = bool(value)
        self.__dict__["_trainable"] = value
        if value:
            for variable in self._frozen_variables:
                variable.trainable = True
            self._frozen_variables.clear()
        else:
            for variable in self._direct_variables():
                if variable.trainable:
                    variable.trainable = False
                    self._frozen_variables.append(variable)
        for layer in self._sublayers():
            layer.trainable = value
        tracking.bump()

    def get_weights(self) -> list:
        """Copies of the weights as NumPy arrays, in the order of :attr:`weights`."""
        return [np.array(ops.convert_to_numpy(v.value)) for v in self.weights]

    def set_weights(self, weights) -> None:
        """Set every weight from a list of arrays (as :meth:`get_weights` returns)."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            names = ", ".join(_weight_label(v) for v in own) or "none"
            raise ValueError(
                f"Layer '{self.name}' expects {len(own)} weight arrays ({names}), "
                f"but set_weights() received {len(weights)}."
            )
        for index, (variable, value) in enumerate(zip(own, weights)):
            shape = tuple(ops.shape(value)) if ops.is_tensor(value) else np.shape(value)
            if tuple(shape) != tuple(variable.shape):
                raise ValueError(
                    f"Layer '{self.name}': weight {index} ({_weight_label(variable)}) has shape "
                    f"{format_shape(variable.shape)}, but the array provided for it has shape {format_shape(shape)}."
                )
        for variable, value in zip(own, weights):
            variable.assign(value if ops.is_tensor(value) else ops.convert_to_tensor(np.asarray(value), variable.dtype))

    def count_params(self) -> int:
        """The number of scalars in the layer's weights."""
        if not self.built:
            raise ValueError(
                f"count_params() was called on layer '{self.name}', which is not built yet. Call it on data, "
                f"or build it with `{self.name}.build(input_shape)`, first."
            )
        return sum(math.prod(v.shape) for v in self.weights)

    # ------------------------------------------------------------------ losses

    def add_loss(self, loss) -> None:
        """Add a scalar loss (e.g. an activity penalty) from inside ``call``.

        Losses added during a call are in :attr:`losses` until the next
        outermost call; ``Model.fit`` adds them to the training loss.
        """
        if _call_local.state.probing:
            return
        self._losses.append(loss)
        key = id(self)
        if key not in _loss_holders:
            _loss_holders[key] = weakref.ref(self, lambda _, key=key: _loss_holders.pop(key, None))

    @property
    def losses(self) -> list:
        """The scalar losses of the last call (``add_loss``) and the penalties of the
        regularized trainable weights, computed from the current weights."""
        losses = []
        cache = self._cached()
        if _loss_holders:
            for layer in cache["layers"]:
                losses.extend(layer._losses)
        if self._trainable:
            for variable in cache["regularized"]:
                if variable.trainable:
                    losses.append(variable.regularizer(variable))
        return losses

    def _clear_losses(self) -> None:
        for layer in self._cached()["layers"]:
            if layer._losses:
                layer._losses.clear()
                _loss_holders.pop(id(layer), None)

    # ------------------------------------------------------------------ building

    def build(self, input_shape) -> None:
        """Create the layer's weights for inputs of ``input_shape`` (override it)."""
        self.built = True

    build._is_default_build = True

    def _build_with_shapes(self, shapes) -> None:
        """Build from the input shape(s), once: what the first call (or Sequential) does."""
        if self.input_spec is not None:
            self._check_shapes(shapes)
        if not getattr(type(self).build, "_is_default_build", False):
            self.build(shapes)
        self.__dict__["_build_shapes"] = shapes
        self.built = True
        tracking.bump()

    def get_build_config(self) -> dict | None:
        """The shape the layer was built with, so a loader can rebuild it before loading weights."""
        if self._build_shapes is None:
            return None
        return {"input_shape": _shape_to_json(self._build_shapes)}

    def build_from_config(self, config) -> None:
        if config and config.get("input_shape") is not None and not self.built:
            self._build_with_shapes(_shape_from_json(config["input_shape"]))

    def compute_output_shape(self, input_shape):
        """The output shape for inputs of ``input_shape``. Layers should override it;
        by default the layer is run once on zeros of that shape."""
        specs = map_shapes(lambda s: KerasTensor(s), input_shape)
        return map_structure(lambda t: t.shape, self.compute_output_spec(specs))

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors describing the output of a call on these (symbolic) arguments.

        Uses :meth:`compute_output_shape` when the layer overrides it, else runs
        ``call`` on small zero batches of the active backend.
        """
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            shapes = map_structure(lambda t: t.shape, args[0])
            output_shape = self.compute_output_shape(shapes)
            return map_shapes(lambda s: KerasTensor(s, self.compute_dtype), output_shape)
        return probe_output_spec(self, args, kwargs)

    # ------------------------------------------------------------------ calling

    def call(self, inputs, *args, **kwargs):
        """The layer's computation (override it)."""
        raise NotImplementedError(f"Layer {type(self).__name__} does not implement call().")

    def __call__(self, *args, **kwargs):
        if args:
            inputs = args[0]
        elif "inputs" in kwargs:
            inputs = kwargs.pop("inputs")
            args = (inputs,)
        else:
            raise TypeError(f"Layer '{self.name}' was called without inputs.")
        if type(inputs) is KerasTensor or (isinstance(inputs, _CONTAINERS) and is_symbolic(inputs)) or (
            (len(args) > 1 or kwargs) and _symbolic_extras(args, kwargs)
        ):
            return self._symbolic_call(args, kwargs)
        owner = self.__dict__.get("_weights_backend")
        if owner is not None and owner is not _backend._active:
            _refuse_other_backend(self, owner)
        if self._convert_input_args:
            inputs = convert_input(inputs, self._dtype, self._autocast)
        if not self.built:
            self._build_with_shapes(map_structure(ops.shape, inputs))
        spec = self.input_spec
        if spec is not None:
            self._check_call_inputs(spec, inputs)

        state = _call_local.state
        previous = state.training
        cls = type(self)
        if cls._call_takes_training:
            position = cls._training_position
            if position is not None and len(args) > position:
                training = args[position]
                if training is None and previous is not None:
                    training = previous
                    args = args[:position] + (training,) + args[position + 1:]
            else:
                training = kwargs.get("training")
                if training is None and previous is not None:
                    training = kwargs["training"] = previous
        else:
            training = kwargs.pop("training", None)
            if training is None:
                training = previous
        depth = state.depth
        if depth == 0 and _loss_holders:
            self._clear_losses()
        state.training = training
        state.depth = depth + 1
        try:
            outputs = self.call(inputs, *args[1:], **kwargs)
        finally:
            state.depth = depth
            state.training = previous
        if self._activity_regularizer is not None:
            for output in flatten(outputs):
                if ops.is_tensor(output):
                    self.add_loss(self._activity_regularizer(output))
        return outputs

    def _check_call_inputs(self, spec, inputs) -> None:
        if type(spec) is InputSpec and not isinstance(inputs, _CONTAINERS):
            shape = ops.shape(inputs)
            # The shape accepted last time needs no second look.
            accepted = self.__dict__.get("_accepted")
            if accepted is not None and accepted[0] is spec and accepted[1] == shape:
                return
            if _incompatible(spec, shape):
                check_input_spec(self.name, spec, [shape])
            self.__dict__["_accepted"] = (spec, shape)
        else:
            self._check_shapes(map_structure(ops.shape, inputs))

    def _check_shapes(self, shapes) -> None:
        flat = [shapes] if is_shape(shapes) else _flatten_shapes(shapes)
        check_input_spec(self.name, self.input_spec, flat)

    def _symbolic_call(self, args, kwargs):
        inputs = args[0]
        shapes = map_structure(lambda t: t.shape if type(t) is KerasTensor else tuple(ops.shape(t)), inputs)
        if not self.built:
            self._build_with_shapes(shapes)
        elif self.input_spec is not None:
            self._check_shapes(shapes)
        outputs = self.compute_output_spec(*args, **kwargs)
        inputs_seen = {id(t) for t in flatten([list(args), kwargs]) if type(t) is KerasTensor}
        flat = flatten(outputs)
        names = [self.name] if len(flat) == 1 else [f"{self.name}_{i}" for i in range(len(flat))]
        fresh = [
            KerasTensor(t.shape, t.dtype, name) if id(t) in inputs_seen or t._keras_history is not None
            else _named(t, name)
            for t, name in zip(flat, names)
        ]
        outputs = pack_like(outputs, fresh)
        Node(self, args, kwargs, outputs)
        return outputs

    # ------------------------------------------------------------------ the graph

    def _first_node(self, what: str):
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer '{self.name}' has never been called on symbolic inputs, so it has no {what}. "
                f"Call it on plugnet.Input(...) tensors (or put it in a model with a known input shape) first."
            )
        return self._inbound_nodes[0]

    @property
    def input(self):
        """The symbolic input of the layer's first call in a functional graph."""
        node = self._first_node("input")
        return node.call_args[0] if node.call_args else node.outputs

    @property
    def output(self):
        """The symbolic output of the layer's first call in a functional graph."""
        return self._first_node("output").outputs

    # ------------------------------------------------------------------ configuration

    def get_config(self) -> dict:
        """The constructor arguments: ``type(layer).from_config(config)`` makes an equal, unbuilt layer.

        Subclasses with constructor arguments override it and extend
        ``super().get_config()``; a subclass that does not is described by the
        arguments it was constructed with, when these are plain data.
        """
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self._activity_regularizer is not None:
            config["activity_regularizer"] = regularizers.serialize(self._activity_regularizer)
        if type(self).get_config is Layer.get_config:
            extra = self._constructor_config()
            if extra is None:
                raise NotImplementedError(
                    f"Layer {type(self).__name__} has constructor arguments that are not plain data "
                    f"(numbers, strings, lists, dicts), so it must implement get_config() to be saved or cloned."
                )
            config.update(extra)
        return config

    def _constructor_config(self) -> dict | None:
        args, kwargs = self._init_args
        try:
            bound = inspect.signature(type(self).__init__).bind(None, *args, **kwargs)
        except TypeError:
            return None
        config = {}
        parameters = inspect.signature(type(self).__init__).parameters
        for index, (key, value) in enumerate(bound.arguments.items()):
            if index == 0:
                continue
            if parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
                config.update(value)
            elif parameters[key].kind is inspect.Parameter.VAR_POSITIONAL:
                if value:
                    return None
            else:
                config[key] = value
        try:
            json.dumps(config)
        except (TypeError, ValueError):
            return None
        return config

    @classmethod
    def from_config(cls, config: dict):
        """A new layer from :meth:`get_config`'s output."""
        return cls(**config)

    # ------------------------------------------------------------------ per-class facts

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        _analyze_call(cls)
        if "build" in cls.__dict__:
            cls.build = _marking_built(cls.__dict__["build"])


_TRACKABLE = (Layer, Variable, list, tuple, dict)


def _analyze_call(cls) -> None:
    """Cache, once per class, whether ``call`` takes ``training`` and at which position."""
    parameters = list(inspect.signature(cls.call).parameters.values())[1:]
    takes = False
    position = None
    for index, parameter in enumerate(parameters):
        if parameter.name == "training":
            takes = True
            if parameter.kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD):
                position = index
    cls._call_takes_training = takes
    cls._training_position = position


_analyze_call(Layer)


def _marking_built(build):
    """Wrap a subclass's ``build`` so that calling it directly (``layer.build(shape)``,
    as Keras users do) also marks the layer built and remembers the shape."""
    if getattr(build, "_marks_built", False):
        return build

    @functools.wraps(build)
    def wrapper(self, *args, **kwargs):
        result = build(self, *args, **kwargs)
        shape = args[0] if args else kwargs.get("input_shape")
        if self.__dict__.get("_build_shapes") is None and shape is not None:
            self.__dict__["_build_shapes"] = shape
        self.built = True
        tracking.bump()
        return result

    wrapper._marks_built = True
    return wrapper


def get_constraint(identifier):
    """A weight constraint from None, a callable ``f(weight) -> weight``, or the
    registered name or serialized config of one."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, (str, dict)):
        constraint = registry.deserialize(identifier)
        return constraint() if isinstance(constraint, type) else constraint
    raise ValueError(f"A constraint must be a callable weight -> weight, or a registered name; got {identifier!r}.")


def _refuse_other_backend(layer, owner) -> None:
    active = _backend.active()
    if owner is active or owner.name == active.name:
        layer.__dict__["_weights_backend"] = active
        return
    raise TypeError(
        f"Layer '{layer.name}' holds weights of the {owner.name!r} backend, but the active backend is "
        f"{active.name!r}. A model lives on the backend it was built on: build it again under "
        f"{active.name!r} and copy the weights over with model.set_weights(other.get_weights())."
    )


def serialize_layer(layer) -> dict:
    """``{"class_name": ..., "config": ...}`` for a layer, as configs store it."""
    return {"class_name": registry.registered_name(layer), "config": layer.get_config()}


def _walk(value):
    if isinstance(value, (Layer, Variable)):
        yield value
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _walk(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)


def _named(tensor, name):
    if tensor.name is None:
        tensor.name = name
    return tensor


def _weight_label(variable) -> str:
    return f"'{getattr(variable, 'path', None) or variable.name}' {format_shape(variable.shape)}"


def _flatten_shapes(shapes) -> list:
    if is_shape(shapes):
        return [tuple(shapes)]
    values = shapes.values() if isinstance(shapes, dict) else shapes
    flat = []
    for value in values:
        flat.extend(_flatten_shapes(value))
    return flat


def _shape_to_json(shapes):
    if is_shape(shapes):
        return list(shapes)
    if isinstance(shapes, dict):
        return {key: _shape_to_json(value) for key, value in shapes.items()}
    return [_shape_to_json(value) for value in shapes]


def _shape_from_json(shapes):
    if is_shape(shapes):
        return tuple(shapes)
    if isinstance(shapes, dict):
        return {key: _shape_from_json(value) for key, value in shapes.items()}
    return [_shape_from_json(value) for value in shapes]


def _standardize_layer_dtype(dtype, owner: str) -> str:
    if dtype is None:
        return FLOATX
    if isinstance(dtype, dict):  # a Keras DTypePolicy config
        dtype = dtype.get("config", {}).get("name", FLOATX)
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        raise ValueError(
            f"{owner}: mixed precision policies ({dtype!r}) are not supported; use a dtype such as 'float32'."
        )
    return standardize_dtype(dtype)


def _symbolic_extras(args, kwargs) -> bool:
    """Whether a call's arguments after the inputs hold a KerasTensor. ``training=True`` and its
    like (flags, None) are answered without a look inside: every model call passes one."""
    for value in kwargs.values():
        if value is not None and value is not True and value is not False and is_symbolic(value):
            return True
    return len(args) > 1 and is_symbolic(args[1:])
