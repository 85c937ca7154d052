"""``Optimizer``: the state and the per-step loop every optimizer shares.

A concrete optimizer writes two methods, as in Keras 3: ``build(var_list)``
creates its slot variables once, and ``update_step(gradient, variable,
learning_rate)`` updates one variable with ``plugnet.ops``. Everything else
(building on first use, skipping ``None`` gradients, loss-scale unscaling,
clipping, weight decay, learning-rate schedules, gradient accumulation, the
moving average of the weights, constraints, the step counter) lives here.

Cost per step: the learning rate is evaluated once, values shared by all
variables (Adam's bias correction) once, and each variable pays only its own
update plus one dict lookup for its slots.
"""

from __future__ import annotations

import re
import warnings

from plugnet import backend as _backend
from plugnet import initializers
from plugnet import ops
from plugnet import registry
from plugnet.dtypes import floatx
from plugnet.optimizers import clipping
from plugnet.optimizers.schedules import LearningRateSchedule
from plugnet.optimizers.schedules import deserialize as _deserialize_schedule
from plugnet.optimizers.schedules import serialize as _serialize_schedule
from plugnet.variables import Variable

_NUMBER_TYPES = (int, float)


def _is_number(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, _NUMBER_TYPES):
        return True
    # NumPy scalars and 0-d arrays are numbers too.
    return hasattr(value, "dtype") and getattr(value, "shape", None) == () and not callable(value)


def _snake_case(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


class Optimizer:
    """Base class of optimizers.

    Args:
        learning_rate: a float, a
            :class:`~plugnet.optimizers.schedules.LearningRateSchedule`
            (evaluated at ``iterations`` each step), or a callable of no
            arguments returning the rate.
        weight_decay: if set, every step first applies decoupled weight decay
            ``variable -= variable * weight_decay * learning_rate``.
        clipnorm: if set, each gradient is rescaled so its L2 norm is at most this.
        clipvalue: if set, each gradient is clipped elementwise to ``[-clipvalue, clipvalue]``.
        global_clipnorm: if set, all gradients are rescaled together so their
            joint L2 norm is at most this. Only one of the three clipping
            arguments may be set.
        use_ema: keep an exponential moving average of the trained variables;
            :meth:`finalize_variable_values` copies it into them.
        ema_momentum: the average's momentum: ``average = m * average + (1 - m) * value``.
        ema_overwrite_frequency: if set with ``use_ema``, overwrite the trained
            variables with their average every this many steps.
        loss_scale_factor: if set, :meth:`scale_loss` multiplies the loss by it
            and gradients are divided by it before the update.
        gradient_accumulation_steps: if set (>= 2), variables are updated every
            this many steps with the mean of the gradients since the last update.
        name: the optimizer's name; defaults to the snake-cased class name.

    A subclass implements ``build`` (calling ``super().build(var_list)``
    first and creating slots with :meth:`add_variable_from_reference`) and
    ``update_step``::

        class SignSGD(Optimizer):
            def __init__(self, learning_rate=0.01, **kwargs):
                super().__init__(learning_rate, **kwargs)

            def update_step(self, gradient, variable, learning_rate):
                self.assign_sub(variable, ops.multiply(ops.sign(gradient), learning_rate))
    """

    def __init__(
        self,
        learning_rate,
        weight_decay=None,
        clipnorm=None,
        clipvalue=None,
        global_clipnorm=None,
        use_ema=False,
        ema_momentum=0.99,
        ema_overwrite_frequency=None,
        loss_scale_factor=None,
        gradient_accumulation_steps=None,
        name=None,
        **kwargs,
    ):
        owner = type(self).__name__
        if kwargs.pop("decay", None) is not None:
            warnings.warn(f"{owner}: argument `decay` is no longer supported and is ignored; use a schedule.")
        if kwargs:
            raise ValueError(f"{owner}: argument(s) not recognized: {kwargs}")
        clip_args = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        if sum(value is not None for value in clip_args.values()) > 1:
            raise ValueError(
                f"{owner}: only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}"
            )
        for arg, value in clip_args.items():
            if value is not None and (not _is_number(value) or value < 0):
                raise ValueError(f"{owner}: `{arg}` must be a number >= 0 or None. Received: {arg}={value!r}")
        if weight_decay is not None and not _is_number(weight_decay):
            raise ValueError(f"{owner}: `weight_decay` must be a float or None. Received: {weight_decay!r}")
        if gradient_accumulation_steps is not None and (
            not isinstance(gradient_accumulation_steps, int) or gradient_accumulation_steps < 2
        ):
            raise ValueError(
                f"{owner}: `gradient_accumulation_steps` must be an integer >= 2. "
                f"Received: gradient_accumulation_steps={gradient_accumulation_steps!r}"
            )
        if use_ema:
            if not 0.0 <= ema_momentum <= 1.0:
                raise ValueError(f"{owner}: `ema_momentum` must be in the range [0, 1]. Received: {ema_momentum}")
            if ema_overwrite_frequency is not None and (
                not isinstance(ema_overwrite_frequency, int) or ema_overwrite_frequency < 1
            ):
                raise ValueError(
                    f"{owner}: `ema_overwrite_frequency` must be an integer >= 1 or None. "
                    f"Received: ema_overwrite_frequency={ema_overwrite_frequency!r}"
                )

        self.name = name or _snake_case(owner)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = bool(use_ema)
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False

        self._variables: list[Variable] = []
        self._trainable_variables: list = []
        self._index: dict[int, int] = {}
        self._shapes: list[tuple] = []
        self._decays: list[bool] = []
        self._has_constraints = False
        self._exclude_ids: set[int] = set()
        self._exclude_pattern = None

        self._iterations = Variable(0, dtype="int64", trainable=False, name="iteration")
        self._variables.append(self._iterations)
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            self._learning_rate = learning_rate
        elif _is_number(learning_rate):
            self._learning_rate = Variable(float(learning_rate), dtype=floatx(), trainable=False, name="learning_rate")
            self._variables.append(self._learning_rate)
        else:
            raise ValueError(
                f"{owner}: argument `learning_rate` should be a float, a LearningRateSchedule, or a callable "
                f"of no arguments returning the learning rate. Received: learning_rate={learning_rate!r}"
            )

    # -- state ----------------------------------------------------------------

    @property
    def iterations(self):
        """The number of steps applied (a non-trainable int64 Variable).

        With gradient accumulation, the number of real updates (steps //
        gradient_accumulation_steps), as Keras reports it.
        """
        if self.gradient_accumulation_steps:
            return self._step_count()
        return self._iterations

    @property
    def variables(self) -> list:
        """All optimizer state: ``iterations`` first, the learning rate (when a float), then the slots."""
        return self._variables[:]

    @property
    def learning_rate(self):
        """The current learning rate.

        The learning-rate Variable when the rate is a float (so
        ``float(optimizer.learning_rate)`` and ``.assign`` work), else the
        schedule's value at ``iterations`` or the callable's value.
        Settable to a float (the Variable is assigned, nothing is rebuilt), a
        schedule or a callable.
        """
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            from plugnet.layers import tracking

            if isinstance(self._learning_rate, Variable):
                self._variables.remove(self._learning_rate)
            self._learning_rate = learning_rate
            tracking.bump()  # the step computes its rate differently: replayed steps record again
            return
        if not isinstance(self._learning_rate, Variable):
            raise TypeError(
                f"Optimizer {self.name!r} was created with a {type(self._learning_rate).__name__} as its "
                "`learning_rate`, hence its learning rate is not settable to a number. Create the optimizer "
                "with a float `learning_rate` to be able to set it."
            )
        if not _is_number(learning_rate):
            raise ValueError(f"Optimizer {self.name!r}: the learning rate must be a number, not {learning_rate!r}.")
        self._learning_rate.assign(ops.convert_to_tensor(float(learning_rate), floatx()))

    def _current_learning_rate(self):
        """The rate for this step as a backend scalar tensor (or Python number)."""
        lr = self._learning_rate
        if isinstance(lr, Variable):
            return lr.value
        if isinstance(lr, LearningRateSchedule):
            return lr(self._iterations.value)
        return lr()

    def _step_count(self):
        """``iterations`` as a backend tensor (real updates when accumulating)."""
        if self.gradient_accumulation_steps:
            return ops.floor_divide(self._iterations.value, self.gradient_accumulation_steps)
        return self._iterations.value

    # -- building ---------------------------------------------------------------

    def add_variable(self, shape, initializer="zeros", dtype=None, name=None) -> Variable:
        """A new non-trainable optimizer Variable, tracked in :attr:`variables`.

        ``initializer`` is anything ``plugnet.initializers.get`` accepts (a
        name such as ``"zeros"``, an initializer, a callable ``f(shape, dtype)``).
        """
        shape = tuple(shape)
        dtype = dtype or floatx()
        value = initializers.get(initializer)(shape, dtype)
        variable = Variable(value, dtype=dtype, trainable=False, name=name)
        self._variables.append(variable)
        return variable

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros") -> Variable:
        """A slot with the shape and dtype of ``reference_variable``, named ``<its name>_<name>``."""
        base = str(reference_variable.name).replace("/", "_").replace(":", "_")
        return self.add_variable(
            reference_variable.shape,
            initializer=initializer,
            dtype=reference_variable.dtype,
            name=f"{base}_{name or 'var'}",
        )

    def add_optimizer_variables(self, var_list, name, initializer="zeros"):
        """One slot per variable for each name in ``name`` (a string or a list).

        The slots are created variable by variable (for each variable, one per
        name), Keras's order for saved optimizer weights. Returns a list per name
        (a single list when ``name`` is a string), aligned with ``var_list``.
        """
        if isinstance(name, str):
            names, initializers = [name], [initializer]
        else:
            names = list(name)
            per_name = isinstance(initializer, (list, tuple))
            initializers = list(initializer) if per_name else [initializer] * len(names)
        slots = tuple([] for _ in names)
        for variable in var_list:
            for column, slot_name, init in zip(slots, names, initializers):
                column.append(self.add_variable_from_reference(variable, slot_name, init))
        return slots[0] if isinstance(name, str) else slots

    def build(self, var_list) -> None:
        """Create the optimizer's state for ``var_list``, once.

        Called by the first :meth:`apply` (or explicitly before it). Subclasses
        call ``super().build(var_list)`` first, then create their slots.
        """
        var_list = list(var_list)
        self._trainable_variables = var_list
        self._index = {id(variable): i for i, variable in enumerate(var_list)}
        self._shapes = [tuple(variable.shape) for variable in var_list]
        self._decays = [self._use_weight_decay(variable) for variable in var_list]
        self._has_constraints = any(getattr(v, "constraint", None) is not None for v in var_list)
        if self.use_ema:
            self._ema_averages = self.add_optimizer_variables(var_list, "average")
        if self.gradient_accumulation_steps:
            self._accumulated_gradients = self.add_optimizer_variables(var_list, "gradient_accumulator")
        self.built = True

    def _get_variable_index(self, variable) -> int:
        """The position of ``variable`` in the list the optimizer was built on (its slots' index)."""
        return self._index[id(variable)]

    # -- weight decay -------------------------------------------------------------

    def exclude_from_weight_decay(self, var_list=None, var_names=None) -> None:
        """Exempt variables from weight decay; call before the optimizer is built.

        Args:
            var_list: Variables to exempt.
            var_names: substrings (regular expressions); a variable whose name
                contains any of them is exempt, e.g. ``["bias"]``.
        """
        if self.built:
            raise ValueError(
                f"Optimizer {self.name!r}: exclude_from_weight_decay() can only be configured before the "
                "optimizer is built (before its first apply() or build())."
            )
        self._exclude_ids = {id(variable) for variable in var_list or ()}
        self._exclude_pattern = re.compile("|".join(sorted(set(var_names)))) if var_names else None

    def _use_weight_decay(self, variable) -> bool:
        if id(variable) in self._exclude_ids:
            return False
        return not (self._exclude_pattern is not None and self._exclude_pattern.search(variable.name))

    def _apply_weight_decay(self, variables, learning_rate) -> None:
        rate = ops.multiply(learning_rate, self.weight_decay)
        index, decays = self._index, self._decays
        for variable in variables:
            if decays[index[id(variable)]]:
                self.assign_sub(variable, ops.multiply(variable.value, rate))

    # -- the step -----------------------------------------------------------------

    def apply_gradients(self, grads_and_vars):
        """Apply ``(gradient, variable)`` pairs (e.g. ``zip(grads, variables)``); returns ``iterations``."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        """Update variables with their gradients: one optimizer step.

        Args:
            grads: one gradient per variable; ``None`` entries are skipped
                (with a warning naming the variables), all ``None`` is an error.
            trainable_variables: the variables. May be omitted once the
                optimizer is built: the gradients then match the variables it
                was built on, in order. The first call builds the optimizer.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"Optimizer {self.name!r}: when passing `grads` without `trainable_variables`, the optimizer "
                    "must already be built. Call `optimizer.build(trainable_variables)` first."
                )
            variables = self._trainable_variables
            if len(grads) != len(variables):
                raise ValueError(
                    f"Optimizer {self.name!r}: received {len(grads)} gradients, but the optimizer was built on "
                    f"{len(variables)} variables; pass one gradient per variable, in order."
                )
        else:
            variables = list(trainable_variables)
            if len(grads) != len(variables):
                raise ValueError(
                    f"Optimizer {self.name!r}: received {len(grads)} gradients for {len(variables)} variables."
                )
            if not self.built:
                self.build(variables)
        # Updates are not part of any gradient record (torch would otherwise build a graph).
        with _backend.active().no_recording():
            grads, variables = self._select(grads, variables)
            if self.loss_scale_factor is not None:
                grads = [ops.divide(g, self.loss_scale_factor) for g in grads]
            if self.gradient_accumulation_steps:
                self._accumulate_or_update(grads, variables)
            else:
                self._update(grads, variables)
            if self.use_ema:
                self._update_moving_average()
            self._iterations.assign_add(1)
            if self._has_constraints:
                for variable in variables:
                    constraint = getattr(variable, "constraint", None)
                    if constraint is not None:
                        variable.assign(constraint(variable))

    def _select(self, grads, variables):
        """The (gradient, variable) pairs with a gradient, checked against what the optimizer was built on."""
        index, shapes = self._index, self._shapes
        kept_grads, kept_vars, missing = [], [], []
        for gradient, variable in zip(grads, variables):
            i = index.get(id(variable))
            if i is None:
                raise ValueError(
                    f"Optimizer {self.name!r}: unknown variable {variable!r}. This optimizer can only be called "
                    "for the variables it was originally built with. When working with a new set of variables, "
                    "create a new optimizer instance."
                )
            if gradient is None:
                missing.append(variable.name)
                continue
            shape = tuple(ops.shape(gradient))
            if shape != shapes[i]:
                raise ValueError(
                    f"Optimizer {self.name!r}: the gradient for variable {variable.name!r} has shape {shape}, "
                    f"expected the variable's shape {shapes[i]}."
                )
            kept_grads.append(gradient)
            kept_vars.append(variable)
        if not kept_grads:
            raise ValueError(f"Optimizer {self.name!r}: no gradients provided for any variable.")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing} when minimizing the loss. If using "
                "`model.compile()`, did you forget to provide a `loss` argument?",
                stacklevel=3,
            )
        return kept_grads, kept_vars

    def _update(self, grads, variables) -> None:
        """Clip, decay and update: the step proper."""
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()
        if self.weight_decay:
            self._apply_weight_decay(variables, learning_rate)
        self._prepare_step(learning_rate)
        if self._fused_update(grads, variables, learning_rate):
            return
        update_step = self.update_step
        for gradient, variable in zip(grads, variables):
            update_step(gradient, variable, learning_rate)

    def _prepare_step(self, learning_rate) -> None:
        """Hook: compute, once per step, values every variable's update shares."""

    def _fused_update(self, grads, variables, learning_rate) -> bool:
        """Hook: update every variable at once with a backend kernel; False when there is none.

        A subclass that overrides :meth:`update_step` keeps its own math: the
        kernels implement the built-in optimizers' formulas only.
        """
        return False

    def _slots(self, slots, variables) -> list:
        """The storages of ``slots`` (one optimizer Variable per trained variable) for ``variables``."""
        index = self._index
        return [slots[index[id(v)]]._value for v in variables]

    def update_step(self, gradient, variable, learning_rate) -> None:
        """Update one variable (and its slots) from its gradient; what a subclass implements."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_step(gradient, variable, lr).")

    def _clip_gradients(self, grads):
        if self.clipnorm:
            return [clipping.clip_by_norm(g, self.clipnorm) for g in grads]
        if self.global_clipnorm:
            return clipping.clip_by_global_norm(grads, self.global_clipnorm)
        if self.clipvalue:
            bound = self.clipvalue
            return [ops.clip(g, -bound, bound) for g in grads]
        return grads

    def _accumulate_or_update(self, grads, variables) -> None:
        steps = self.gradient_accumulation_steps
        accumulators = [self._accumulated_gradients[self._index[id(v)]] for v in variables]
        # The branch is taken on the host: the contract has no conditional op.
        if (int(ops.convert_to_numpy(self._iterations.value)) + 1) % steps == 0:
            means = [ops.divide(ops.add(g, acc.value), steps) for g, acc in zip(grads, accumulators)]
            self._update(means, variables)
            for acc in self._accumulated_gradients:
                acc.assign(ops.zeros_like(acc.value))
        else:
            for g, acc in zip(grads, accumulators):
                acc.assign_add(g)

    # -- moving average of the weights (use_ema) -------------------------------

    def _update_moving_average(self) -> None:
        step = self._step_count()
        # The first step copies the variables into the average.
        momentum = ops.multiply(ops.cast(ops.not_equal(step, 0), floatx()), self.ema_momentum)
        keep = ops.subtract(1.0, momentum)
        for variable, average in zip(self._trainable_variables, self._ema_averages):
            average.assign(ops.add(ops.multiply(momentum, average.value), ops.multiply(keep, variable.value)))
        frequency = self.ema_overwrite_frequency
        if frequency and (int(ops.convert_to_numpy(step)) + 1) % frequency == 0:
            self._overwrite_with_moving_average(self._trainable_variables)

    def _overwrite_with_moving_average(self, var_list) -> None:
        var_list = list(var_list)
        if len(var_list) != len(self._ema_averages):
            raise ValueError(
                f"Optimizer {self.name!r}: got {len(var_list)} variables to overwrite with their moving average, "
                f"but the optimizer averages {len(self._ema_averages)}. Pass the variables it was built on."
            )
        for variable, average in zip(var_list, self._ema_averages):
            variable.assign(average.value)

    def finalize_variable_values(self, var_list) -> None:
        """End of training: with ``use_ema``, copy the moving averages into ``var_list``."""
        if self.use_ema and self.built:
            self._overwrite_with_moving_average(var_list)

    def scale_loss(self, loss):
        """The loss multiplied by ``loss_scale_factor`` (unchanged when it is None)."""
        if self.loss_scale_factor is None:
            return loss
        return ops.multiply(loss, self.loss_scale_factor)

    # -- variable helpers (one place for backend-specific fast paths) -------------

    def assign(self, variable, value) -> None:
        """``variable.assign(value)``; optimizers write their updates through these helpers."""
        variable.assign(value)

    def assign_add(self, variable, value) -> None:
        variable.assign_add(value)

    def assign_sub(self, variable, value) -> None:
        variable.assign_sub(value)

    # -- saving -------------------------------------------------------------------

    def save_own_variables(self, store) -> None:
        """Write :attr:`variables` into ``store`` (a dict-like) as ``"0"``, ``"1"``, ..."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store) -> None:
        """Restore what :meth:`save_own_variables` wrote; warns and skips on a count mismatch."""
        if len(store.keys()) != len(self._variables):
            message = (
                f"Skipping variable loading for optimizer {self.name!r}, because it has {len(self._variables)} "
                f"variables whereas the saved optimizer has {len(store.keys())} variables."
            )
            if not self.built:
                message += " This is likely because the optimizer has not been built yet (call build(variables))."
            warnings.warn(message, stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(ops.convert_to_tensor(store[str(i)], variable.dtype))

    def get_config(self) -> dict:
        """The constructor arguments, JSON-ready (a schedule is serialized; state is not included)."""
        lr = self._learning_rate
        if isinstance(lr, LearningRateSchedule):
            learning_rate = _serialize_schedule(lr)
        elif isinstance(lr, Variable):
            learning_rate = float(lr.numpy())
        elif getattr(lr, "_registered_name", None):
            learning_rate = registry.registered_name(lr)
        else:
            raise ValueError(
                f"Optimizer {self.name!r}: its learning rate is the callable {lr!r}, which cannot be saved. "
                "Use a LearningRateSchedule subclass registered with plugnet.registry.register_serializable()."
            )
        return {
            "name": self.name,
            "learning_rate": learning_rate,
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None):
        """A new optimizer (fresh state) from :meth:`get_config`'s output."""
        config = dict(config)
        learning_rate = config.get("learning_rate")
        if isinstance(learning_rate, dict):
            config["learning_rate"] = _deserialize_schedule(learning_rate, custom_objects)
        elif isinstance(learning_rate, str):
            config["learning_rate"] = registry.get_registered(learning_rate, custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"
