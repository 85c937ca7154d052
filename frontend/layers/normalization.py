"""Normalization layers: ``BatchNormalization`` and ``LayerNormalization``."""

from __future__ import annotations

from plugnet import initializers, ops, registry, regularizers
from plugnet.layers.core import serialize_constraint
from plugnet.layers.input_spec import InputSpec, format_shape
from plugnet.layers.layer import Layer, get_constraint
from plugnet.layers.layer_utils import layer_label


def _normalize_axes(layer, axis, rank, input_shape) -> tuple:
    """``axis`` (an int or ints) as sorted non-negative axes of a rank-``rank`` input, each of known size."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    result = []
    for a in axes:
        if isinstance(a, bool) or not isinstance(a, int) or not -rank <= a < rank:
            raise ValueError(
                f"{layer_label(layer)}: `axis` {axis!r} is out of range for inputs of rank {rank} "
                f"(shape {format_shape(input_shape)})."
            )
        if input_shape[a] is None:
            raise ValueError(
                f"{layer_label(layer)}: the size of axis {a} must be known to create the weights, but the "
                f"input shape is {format_shape(input_shape)}."
            )
        result.append(a % rank)
    if len(set(result)) != len(result):
        raise ValueError(f"{layer_label(layer)}: `axis` {axis!r} names an axis twice.")
    return tuple(sorted(result))


class _ScaleAndCenter(Layer):
    """The learned ``gamma`` (scale) and ``beta`` (offset) both normalizations share."""

    def __init__(self, axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                 gamma_regularizer, beta_constraint, gamma_constraint, **kwargs):
        super().__init__(**kwargs)
        self.axis = list(axis) if isinstance(axis, (list, tuple)) else axis
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = get_constraint(beta_constraint)
        self.gamma_constraint = get_constraint(gamma_constraint)
        self.gamma = None
        self.beta = None

    def _add_scale_and_center(self, shape) -> None:
        if self.scale:
            self.gamma = self.add_weight(shape, initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint,
                                         name="gamma")
        if self.center:
            self.beta = self.add_weight(shape, initializer=self.beta_initializer, regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint, name="beta")

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            axis=self.axis,
            epsilon=self.epsilon,
            center=self.center,
            scale=self.scale,
            beta_initializer=initializers.serialize(self.beta_initializer),
            gamma_initializer=initializers.serialize(self.gamma_initializer),
            beta_regularizer=regularizers.serialize(self.beta_regularizer),
            gamma_regularizer=regularizers.serialize(self.gamma_regularizer),
            beta_constraint=serialize_constraint(self.beta_constraint),
            gamma_constraint=serialize_constraint(self.gamma_constraint),
        )
        return config


@registry.register_serializable()
class BatchNormalization(_ScaleAndCenter):
    """Normalizes each feature (channel) to zero mean and unit variance, then
    scales by ``gamma`` and shifts by ``beta``.

    In training (``training=True``, as in ``fit`` or ``model(x, training=True)``)
    it normalizes with the batch's mean and (population) variance, and moves
    the non-trainable ``moving_mean`` / ``moving_variance`` towards them:
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``. In
    inference it normalizes with the moving statistics. A frozen layer
    (``trainable=False``) always runs in inference mode, as in Keras 3, which
    is what fine-tuning a pretrained network needs.

    Args:
        axis: the feature axis (default -1; use 1 for channels_first images).
        momentum: of the moving statistics (default 0.99).
        epsilon: added to the variance before its square root (default 1e-3).
        center / scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer: default ``"zeros"``, ``"ones"``,
            ``"zeros"``, ``"ones"``.
        beta_regularizer / gamma_regularizer, beta_constraint / gamma_constraint.
        synchronized: Keras's cross-replica statistics; plugnet trains on one
            device, where they equal the local ones, so it changes nothing.

    ``call(inputs, training=None, mask=None)``: a ``mask`` (True where a value
    counts, broadcastable to the inputs without the feature axis) restricts the
    batch statistics to those positions.

    Example:
        >>> bn = plugnet.layers.BatchNormalization()
        >>> y = bn(np.random.rand(32, 4) * 10, training=True)   # per-feature mean ~0, variance ~1
        >>> [w.name for w in bn.non_trainable_weights]
        ['moving_mean', 'moving_variance']
    """

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 synchronized=False, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise ValueError(f"{layer_label(self)}: `axis` must be an int, got {axis!r}.")
        self.momentum = float(momentum)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.synchronized = bool(synchronized)
        self.moving_mean = None
        self.moving_variance = None
        self._reduction_axes = None
        self._param_shape = None  # the weights' broadcast shape, None when the feature axis is last

    def build(self, input_shape):
        rank = len(input_shape)
        (axis,) = _normalize_axes(self, self.axis, rank, input_shape)
        dim = input_shape[axis]
        self._add_scale_and_center((dim,))
        self.moving_mean = self.add_weight((dim,), initializer=self.moving_mean_initializer, trainable=False,
                                           name="moving_mean")
        self.moving_variance = self.add_weight((dim,), initializer=self.moving_variance_initializer,
                                               trainable=False, name="moving_variance")
        self._reduction_axes = tuple(a for a in range(rank) if a != axis)
        if axis != rank - 1:
            self._param_shape = (dim,) + (1,) * (rank - 1 - axis)
        self.input_spec = InputSpec(ndim=rank, axes={axis: dim})

    def call(self, inputs, training=None, mask=None):
        if training and self.trainable:
            mean, variance = self._batch_moments(inputs, mask)
            self._update_moving(mean, variance)
        else:
            mean, variance = self.moving_mean, self.moving_variance
        # Folded into one per-feature multiplier and offset, so only two ops touch the full input.
        multiplier = ops.rsqrt(ops.add(variance, self.epsilon))
        if self.gamma is not None:
            multiplier = ops.multiply(multiplier, self.gamma)
        offset = ops.negative(ops.multiply(mean, multiplier))
        if self.beta is not None:
            offset = ops.add(offset, self.beta)
        if self._param_shape is not None:
            multiplier = ops.reshape(multiplier, self._param_shape)
            offset = ops.reshape(offset, self._param_shape)
        return ops.add(ops.multiply(inputs, multiplier), offset)

    def _batch_moments(self, inputs, mask):
        if mask is None:
            return ops.moments(inputs, self._reduction_axes)
        weights = ops.cast(mask, ops.dtype(inputs))
        while ops.ndim(weights) < ops.ndim(inputs):
            weights = ops.expand_dims(weights, -1)
        axes = self._reduction_axes
        # zeros_like rather than the input's shape, whose batch size is unknown inside traced graphs.
        count = ops.sum(ops.add(ops.zeros_like(inputs), weights), axis=axes)
        mean = ops.divide(ops.sum(ops.multiply(inputs, weights), axis=axes), count)
        centered = ops.subtract(inputs, mean if self._param_shape is None else ops.reshape(mean, self._param_shape))
        variance = ops.divide(ops.sum(ops.multiply(ops.square(centered), weights), axis=axes), count)
        return mean, variance

    def _update_moving(self, mean, variance) -> None:
        momentum = self.momentum
        for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
            batch = ops.stop_gradient(batch)
            moving.assign(ops.add(ops.multiply(moving, momentum), ops.multiply(batch, 1.0 - momentum)))

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(
            momentum=self.momentum,
            moving_mean_initializer=initializers.serialize(self.moving_mean_initializer),
            moving_variance_initializer=initializers.serialize(self.moving_variance_initializer),
            synchronized=self.synchronized,
        )
        return config


@registry.register_serializable()
class LayerNormalization(_ScaleAndCenter):
    """Normalizes each sample over ``axis`` to zero mean and unit variance, then
    scales by ``gamma`` and shifts by ``beta`` (one value per position of ``axis``).

    The same in training and inference: there are no moving statistics.

    Args:
        axis: the axis or axes to normalize over (default -1, the features).
        epsilon: added to the variance before its square root (default 1e-3).
        center / scale: whether to learn ``beta`` / ``gamma``.
        beta_initializer / gamma_initializer: default ``"zeros"`` / ``"ones"``.
        beta_regularizer / gamma_regularizer, beta_constraint / gamma_constraint.

    Example:
        >>> ln = plugnet.layers.LayerNormalization()
        >>> ln(np.random.rand(2, 5, 8)).shape
        (2, 5, 8)
        >>> plugnet.layers.LayerNormalization(axis=[1, 2]).build((None, 5, 8))  # gamma of shape (5, 8)
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, beta_initializer="zeros",
                 gamma_initializer="ones", beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, **kwargs):
        super().__init__(axis, epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
                         gamma_regularizer, beta_constraint, gamma_constraint, **kwargs)
        self._axes = None
        self._param_shape = None

    def build(self, input_shape):
        rank = len(input_shape)
        axes = _normalize_axes(self, self.axis, rank, input_shape)
        self._add_scale_and_center(tuple(input_shape[a] for a in axes))
        self._axes = axes
        if axes != tuple(range(rank - len(axes), rank)):
            # gamma's axes are not the trailing ones: give it size-1 axes in between to broadcast.
            self._param_shape = tuple(input_shape[a] if a in axes else 1 for a in range(axes[0], rank))
        self.input_spec = InputSpec(ndim=rank, axes={a: input_shape[a] for a in axes})

    def call(self, inputs):
        mean, variance = ops.moments(inputs, self._axes, keepdims=True)
        outputs = ops.multiply(ops.subtract(inputs, mean), ops.rsqrt(ops.add(variance, self.epsilon)))
        if self.gamma is not None:
            outputs = ops.multiply(outputs, self._broadcastable(self.gamma))
        if self.beta is not None:
            outputs = ops.add(outputs, self._broadcastable(self.beta))
        return outputs

    def _broadcastable(self, weight):
        return weight if self._param_shape is None else ops.reshape(weight, self._param_shape)
