"""Functional models: a graph of layers from ``Input`` tensors to output tensors.

``Model(inputs, outputs)`` walks the recorded :class:`~plugnet.layers.symbolic.Node`
objects back from ``outputs`` to ``inputs`` once, orders them, and keeps an
execution plan; a call replays the plan on real tensors.
"""

from __future__ import annotations

from plugnet import ops, registry
from plugnet.layers.call_context import _local as _call_local
from plugnet.layers.call_inputs import convert_input, dtype_info
from plugnet.layers.input_layer import InputLayer
from plugnet.layers.input_spec import format_shape
from plugnet.layers.structure import flatten, map_structure, pack_like
from plugnet.layers.symbolic import KerasTensor
from plugnet.models.model import Model


def _history_node(tensor):
    history = tensor._keras_history
    return history.layer._inbound_nodes[history.node_index]


class _Step:
    """One node of the plan: which layer to call on which values, and where its outputs go."""

    __slots__ = ("layer", "args", "kwargs", "single_input", "output_ids")

    def __init__(self, node):
        self.layer = node.layer
        self.args = node.call_args
        self.kwargs = node.call_kwargs
        first = node.call_args[0] if node.call_args else None
        # The common case, one KerasTensor argument, skips rebuilding the arguments.
        self.single_input = (
            first if len(node.call_args) == 1 and type(first) is KerasTensor and not node.call_kwargs else None
        )
        # Values are keyed by the KerasTensors themselves (hashed by identity), so
        # a deep copy of the model keeps a consistent plan.
        self.output_ids = list(node.output_tensors)


def _fill(structure, values):
    return map_structure(lambda x: values[x] if type(x) is KerasTensor else x, structure)


@registry.register_serializable()
class Functional(Model):
    """A model defined by its input and output tensors (what ``Model(inputs, outputs)`` makes).

    Args:
        inputs: a KerasTensor from :func:`plugnet.Input`, or a list or dict of them.
        outputs: a KerasTensor computed from ``inputs`` by calling layers, or a
            list or dict of them.
        name: the model's name.
        trainable: whether its weights are trained.

    Example:
        >>> a, b = plugnet.Input((3,), name="a"), plugnet.Input((2,), name="b")
        >>> h = plugnet.layers.Dense(4, name="hidden")(a)
        >>> model = plugnet.Model([a, b], [plugnet.layers.Dense(1)(h), plugnet.layers.Dense(1)(b)])
        >>> features = plugnet.Model(model.inputs[0], model.get_layer("hidden").output)
    """

    _convert_input_args = False

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        Model.__init__(self, name=name, trainable=trainable, **kwargs)
        self._init_graph(inputs, outputs)

    # ------------------------------------------------------------------ the graph

    def _init_graph(self, inputs, outputs) -> None:
        if isinstance(inputs, dict):
            inputs = dict(inputs)
        elif isinstance(inputs, (list, tuple)):
            inputs = list(inputs)
        if isinstance(outputs, dict):
            outputs = dict(outputs)
        elif isinstance(outputs, (list, tuple)):
            outputs = list(outputs)
        flat_inputs, flat_outputs = flatten(inputs), flatten(outputs)
        for kind, tensors in (("inputs", flat_inputs), ("outputs", flat_outputs)):
            if not tensors:
                raise ValueError(f"Model '{self.name}': `{kind}` is empty.")
            for tensor in tensors:
                if type(tensor) is not KerasTensor or tensor._keras_history is None:
                    raise TypeError(
                        f"Model '{self.name}': all {kind} must be symbolic tensors made from plugnet.Input(...) "
                        f"and layers; got {tensor!r}."
                    )
        for tensor in flat_inputs:
            if not isinstance(tensor._keras_history.layer, InputLayer):
                raise ValueError(
                    f"Model '{self.name}': inputs must be tensors returned by plugnet.Input(); "
                    f"{tensor!r} is the output of layer '{tensor._keras_history.layer.name}'."
                )
        nodes = self._order_nodes(flat_inputs, flat_outputs)
        input_layers = []
        for tensor in flat_inputs:
            if tensor._keras_history.layer not in input_layers:
                input_layers.append(tensor._keras_history.layer)
        layers = list(input_layers)
        for node in nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        names = [layer.name for layer in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"Model '{self.name}': layer names must be unique within a model, but {duplicates} "
                f"name more than one layer. Pass distinct `name=` arguments."
            )
        self.__dict__.update(
            _inputs_struct=inputs,
            _outputs_struct=outputs,
            _inputs=flat_inputs,
            _outputs=flat_outputs,
            _nodes=nodes,
            _node_set=set(nodes) | {_history_node(t) for t in flat_inputs},
            _graph_layers=layers,
            _plan=[_Step(node) for node in nodes],

        )
        self.built = True
        from plugnet.layers import tracking

        tracking.bump()

    def _order_nodes(self, flat_inputs, flat_outputs) -> list:
        """The nodes between inputs and outputs, each after the nodes it depends on."""
        input_ids = {id(t) for t in flat_inputs}
        order, done, active = [], set(), set()

        def visit(tensor, consumer):
            if id(tensor) in input_ids:
                return
            node = _history_node(tensor)
            if node.is_input:
                raise ValueError(
                    f"Graph disconnected in model '{self.name}': layer '{consumer}' needs the value of input "
                    f"'{tensor.name}' (shape {format_shape(tensor.shape)}), which is not among the model's inputs "
                    f"({', '.join(repr(t.name) for t in flat_inputs)}). Add it to `inputs`."
                )
            if id(node) in done:
                return
            if id(node) in active:
                raise ValueError(f"Model '{self.name}': the graph has a cycle through layer '{node.layer.name}'.")
            active.add(id(node))
            for parent_tensor in node.input_tensors:
                visit(parent_tensor, node.layer.name)
            active.discard(id(node))
            done.add(id(node))
            order.append(node)

        for tensor in flat_outputs:
            visit(tensor, "(model output)")
        return order

    def _tracked_children(self):
        yield from self._graph_layers
        yield from super()._tracked_children()

    @property
    def layers(self) -> list:
        """Every layer of the graph, Input layers first, then in the order they run."""
        return list(self._graph_layers)

    @property
    def inputs(self) -> list:
        return list(self._inputs)

    @property
    def outputs(self) -> list:
        return list(self._outputs)

    @property
    def input(self):
        """The model's input tensor(s), structured as they were passed (one, a list or a dict)."""
        return self._inputs_struct

    @property
    def output(self):
        return self._outputs_struct

    @property
    def input_names(self) -> list:
        if isinstance(self._inputs_struct, dict):
            return list(self._inputs_struct)
        return [t._keras_history.layer.name for t in self._inputs]

    @property
    def output_names(self) -> list:
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t._keras_history.layer.name for t in self._outputs]

    @output_names.setter
    def output_names(self, value):
        raise AttributeError(f"Model '{self.name}': a functional model's output names are its output layers' names.")

    def build(self, input_shape=None) -> None:
        """A functional model is built when it is made; this checks nothing and does nothing."""

    # ------------------------------------------------------------------ running

    def call(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs(inputs)
        state = _call_local.state
        previous = state.training
        if training is not None:
            state.training = training
        try:
            values = dict(zip(self._inputs, flat))
            for step in self._plan:
                if step.single_input is not None:
                    out = step.layer(values[step.single_input])
                else:
                    out = step.layer(*_fill(step.args, values), **_fill(step.kwargs, values))
                ids = step.output_ids
                if len(ids) == 1:
                    values[ids[0]] = out
                else:
                    for key, value in zip(ids, flatten(out)):
                        values[key] = value
        finally:
            state.training = previous
        return pack_like(self._outputs_struct, [values[t] for t in self._outputs])

    def _standardize_inputs(self, inputs) -> list:
        """The inputs in the order of ``self.inputs``, as tensors of each Input's dtype and checked shape."""
        expected = self._inputs
        if isinstance(inputs, dict):
            keys = self.input_names
            missing = [k for k in keys if k not in inputs]
            if missing:
                raise ValueError(
                    f"Model '{self.name}' expects inputs named {keys}, but the dict it received has keys "
                    f"{list(inputs)} (missing {missing})."
                )
            flat = [inputs[k] for k in keys]
        elif isinstance(inputs, (list, tuple)) and not (len(expected) == 1 and _is_data_list(inputs)):
            flat = list(inputs)
        else:
            flat = [inputs]
        if len(flat) != len(expected):
            raise ValueError(
                f"Model '{self.name}' expects {len(expected)} input(s) ({', '.join(self.input_names)}), "
                f"but it received {len(flat)}."
            )
        return [standardize_input(x, ref, self.name) for x, ref in zip(flat, expected)]

    def compute_output_spec(self, inputs, training=None, mask=None):
        flat = self._standardize_inputs_symbolic(inputs)
        values = dict(zip(self._inputs, flat))
        for step in self._plan:
            out = step.layer.compute_output_spec(*_fill(step.args, values), **_fill(step.kwargs, values))
            for key, value in zip(step.output_ids, flatten(out)):
                values[key] = value
        return pack_like(self._outputs_struct, [values[t] for t in self._outputs])

    def _standardize_inputs_symbolic(self, inputs) -> list:
        if isinstance(inputs, dict):
            flat = [inputs[k] for k in self.input_names]
        else:
            flat = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(flat) != len(self._inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self._inputs)} input(s), but it received {len(flat)}.")
        for x, ref in zip(flat, self._inputs):
            check_input_shape(tuple(x.shape), ref, self.name)
        return flat

    # ------------------------------------------------------------------ configuration

    def get_config(self) -> dict:
        """The layers (class name + config) and how they connect, as Keras 3 writes it."""
        node_index = {}
        for layer in self._graph_layers:
            kept = [node for node in layer._inbound_nodes if node in self._node_set]
            for index, node in enumerate(kept):
                node_index[node] = index

        def tensor_ref(tensor):
            history = tensor._keras_history
            return [history.layer.name, node_index[_history_node(tensor)], history.tensor_index]

        def serialize_argument(value):
            if type(value) is KerasTensor:
                config = {"shape": list(value.shape), "dtype": value.dtype, "keras_history": tensor_ref(value)}
                return {"class_name": "__keras_tensor__", "config": config}
            if isinstance(value, (list, tuple)):
                return [serialize_argument(v) for v in value]
            if isinstance(value, dict):
                return {k: serialize_argument(v) for k, v in value.items()}
            if value is None or isinstance(value, (bool, int, float, str)):
                return value
            raise TypeError(
                f"Model '{self.name}': cannot save the argument {value!r} passed to a layer call; "
                f"only tensors and plain data (numbers, strings, lists, dicts) can be saved."
            )

        layer_configs = []
        for layer in self._graph_layers:
            kept = [node for node in layer._inbound_nodes if node in self._node_set and not node.is_input]
            layer_configs.append({
                "class_name": registry.registered_name(layer),
                "config": layer.get_config(),
                "name": layer.name,
                "inbound_nodes": [
                    {"args": serialize_argument(list(node.call_args)), "kwargs": serialize_argument(node.call_kwargs)}
                    for node in kept
                ],
            })
        return {
            "name": self.name,
            "trainable": self.trainable,
            "layers": layer_configs,
            "input_layers": map_structure(tensor_ref, self._inputs_struct),
            "output_layers": map_structure(tensor_ref, self._outputs_struct),
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects=None):
        """Rebuild the graph from :meth:`get_config`, instantiating only registered classes."""
        layers, pending = {}, []
        produced = {}  # (layer name, node index) -> flat output tensors
        for layer_config in config["layers"]:
            layer = registry.deserialize(
                {"class_name": layer_config["class_name"], "config": layer_config["config"]}, custom_objects
            )
            name = layer_config["name"]
            layers[name] = layer
            if isinstance(layer, InputLayer):
                produced[(name, 0)] = [layer.output]
            pending.append([layer, name, list(layer_config.get("inbound_nodes", []))])

        def resolve(value):
            if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
                name, index, tensor_index = value["config"]["keras_history"]
                outputs = produced.get((name, index))
                if outputs is None:
                    raise LookupError
                return outputs[tensor_index]
            if isinstance(value, list):
                return [resolve(v) for v in value]
            if isinstance(value, dict):
                return {k: resolve(v) for k, v in value.items()}
            return value

        # A shared layer's later calls may depend on layers listed after it:
        # keep sweeping until every node is made.
        while any(nodes for _, _, nodes in pending):
            progress = False
            for entry in pending:
                layer, name, nodes = entry
                while nodes:
                    try:
                        args = resolve(nodes[0]["args"])
                        kwargs = resolve(nodes[0].get("kwargs", {}))
                    except LookupError:
                        break
                    index = sum(1 for key in produced if key[0] == name)
                    produced[(name, index)] = flatten(layer(*args, **kwargs))
                    nodes.pop(0)
                    progress = True
            if not progress:
                stuck = [name for _, name, nodes in pending if nodes]
                raise ValueError(
                    f"Model config {config.get('name')!r}: cannot connect layers {stuck}; the config is inconsistent."
                )

        def tensor(ref):
            name, index, tensor_index = ref
            return produced[(name, index)][tensor_index]

        inputs = _map_refs(tensor, config["input_layers"])
        outputs = _map_refs(tensor, config["output_layers"])
        return cls(inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))


def _is_ref(value) -> bool:
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str) and isinstance(value[1], int)


def _map_refs(fn, structure):
    if _is_ref(structure):
        return fn(structure)
    if isinstance(structure, dict):
        return {k: _map_refs(fn, v) for k, v in structure.items()}
    return [_map_refs(fn, v) for v in structure]


def _is_data_list(x) -> bool:
    """A list that is one input's data (nested numbers), not a list of inputs."""
    first = x[0] if x else None
    while isinstance(first, (list, tuple)) and first:
        first = first[0]
    return isinstance(first, (int, float, bool))


def standardize_input(x, ref: KerasTensor, model_name: str):
    """``x`` as a tensor of ``ref``'s dtype and rank, or a ValueError naming the input and both shapes.

    As in Keras, an input one rank short of a declared size-1 last axis gets
    that axis added, and an extra size-1 last axis is dropped.
    """
    x = convert_input(x, ref.dtype, True)
    name, _ = dtype_info(x)
    if name != ref.dtype:
        x = ops.cast(x, ref.dtype)
    shape = ops.shape(x)
    expected = ref.shape
    if len(shape) != len(expected):
        if len(shape) == len(expected) - 1 and expected[-1] == 1:
            x = ops.expand_dims(x, -1)
        elif len(shape) == len(expected) + 1 and shape[-1] == 1:
            x = ops.squeeze(x, -1)
        shape = ops.shape(x)
    check_input_shape(shape, ref, model_name)
    return x


def check_input_shape(shape, ref: KerasTensor, model_name: str) -> None:
    """A ValueError naming the input, the model and both shapes unless ``shape`` fits ``ref``.

    The batch size is not checked (as in Keras), so a last, smaller batch passes.
    """
    expected = ref.shape
    if len(shape) == len(expected) and (
        shape[1:] == expected[1:] or all(e is None or a is None or e == a for e, a in zip(expected[1:], shape[1:]))
    ):
        return
    raise ValueError(
        f"Input '{ref.name}' of model '{model_name}' expects shape {format_shape(expected)}, "
        f"but it received an input of shape {format_shape(shape)}."
    )
