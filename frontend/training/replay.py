"""Replayed steps: a step's backend calls, recorded while it runs, then replayed without its Python.

On a backend without graphs (NumPy, torch), most of a small model's step is
Python that computes nothing: ``Layer.__call__``'s checks, the loss and metric
objects, the optimizer's bookkeeping. :func:`replayed` runs a step for real
while recording every call it makes into the backend (ops, Variable writes,
tapes, fused optimizer updates), writes those calls out as one straight-line
Python function, and from then on runs that function instead of the step.

How a recording stays faithful:

* During the recording every tensor the step sees is a :class:`Traced`: it
  behaves as the tensor (operators, indexing, ``shape``, ``dtype``) and
  remembers which call made it. Variables are used by reference, so a replay
  reads their values as they are then; the backend must update Variables in
  place (``Backend.replay_steps`` declares it).
* Whatever turns a tensor into a Python value inside the step (``float(t)``,
  ``np.asarray(t)``, ``ops.convert_to_numpy``, an attribute of the framework's
  own tensor) would freeze that value into the recording. It marks the
  recording unusable instead: the step finishes normally and runs eagerly
  from then on.
* A step is recorded twice, and replayed only when both recordings are the
  same calls with the same constants. A Python number that changes between
  steps (a counter kept outside a Variable) makes them differ, and the step
  stays eager.

This is TensorFlow's ``tf.function`` contract, checked rather than assumed:
Python state that changes only between steps (a Variable set by a callback)
is seen by the replay; Python state read inside the step is not, so a step
that depends on it is never replayed. ``compile(run_eagerly=True)`` turns
replaying off.
"""

from __future__ import annotations

import textwrap
import types

from plugnet import backend as _backend
from plugnet import ops as _ops
from plugnet.layers import tracking
from plugnet.operators import TensorOperators
from plugnet.plugins.nest import flatten
from plugnet.training.replay_gradients import written_out
from plugnet.variables import Variable

# Ops that answer with facts of a tensor's type, not its values: the same for every batch of a
# signature, so the recording keeps their answer and never replays them.
STATIC_OPS = frozenset({"is_tensor", "shape", "ndim", "size", "dtype"})
# Ops that hand a tensor's values to Python.
HOST_OPS = frozenset({"convert_to_numpy"})
# Backend API calls made inside steps: what they do is a side effect, so a replay always makes them.
_WRITES = ("assign", "assign_add", "assign_sub", "sgd_update", "adam_update")
# Backend API calls that change what exists (a new Variable, a changed seed): a step making them
# cannot be replayed.
_REFUSED = ("variable", "set_trainable", "set_seed")

MAX_RECORDINGS = 3
"""Recordings of one signature before its step is left eager for good."""

_active: _Recording | None = None


class Traced(TensorOperators):
    """A tensor of a step being recorded: its value and the slot of the call that made it."""

    __slots__ = ("_recording", "_slot", "_value")

    def __init__(self, value, recording, slot):
        self._value = value
        self._recording = recording
        self._slot = slot

    @property
    def shape(self):
        return self._value.shape

    @property
    def dtype(self):
        return self._value.dtype

    @property
    def ndim(self):
        return len(self._value.shape)

    def __len__(self):
        return len(self._value)

    def __iter__(self):
        for i in range(len(self._value)):
            yield self[i]

    def __hash__(self):
        return id(self)

    def _leak(self, what):
        recording = self._recording
        if recording is _active:
            recording.refuse(f"the step reads a tensor's values in Python ({what})")
        return self._value

    def __array__(self, dtype=None, copy=None):
        import numpy as np

        value = np.asarray(_ops.convert_to_numpy(self._leak("np.asarray")))
        return value if dtype is None else value.astype(dtype, copy=False)

    def __bool__(self):
        return bool(self._leak("bool"))

    def __float__(self):
        return float(self._leak("float"))

    def __int__(self):
        return int(self._leak("int"))

    def __index__(self):
        return self._leak("an index").__index__()

    def numpy(self):
        return _ops.convert_to_numpy(self._leak(".numpy()"))

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)  # what frontend code probes for with getattr(x, "_...", None)
        return getattr(self._leak(f".{name}"), name)

    def __repr__(self):
        return f"<plugnet traced tensor slot {self._slot}>\n{self._value!r}"


class _Object:
    """A backend object made inside the step (a tape, a no-recording context): calls on it are recorded."""

    __slots__ = ("_obj", "_recording", "_slot")

    def __init__(self, obj, recording, slot):
        self._obj = obj
        self._recording = recording
        self._slot = slot

    def _recording_now(self) -> bool:
        """Calls are recorded while the step that made the object records, not after (a tape kept
        by the user and asked again later)."""
        return self._recording is _active and not _active.depth

    def __getattr__(self, name):
        method = getattr(self._obj, name)
        if not callable(method) or not self._recording_now():
            return method
        return lambda *args, **kwargs: self._recording.call_method(self, name, method, args, kwargs)

    def __enter__(self):
        if self._recording_now():
            self._recording.call_method(self, "__enter__", self._obj.__enter__, (), {})
        else:
            self._obj.__enter__()
        return self

    def __exit__(self, *exc_info):
        if self._recording_now():
            return self._recording.call_method(self, "__exit__", self._obj.__exit__, exc_info, {})
        return self._obj.__exit__(*exc_info)


class _Entry:
    """One recorded call. ``call`` keeps what rewriting it needs (see :mod:`.replay_gradients`):
    ``(kind, fn or method name, receiver or source slot, positional arguments as (code, ref) pairs,
    keyword arguments' code)``; a ref is ``("s", slot)``, ``("v", Variable)``, ``("l", [refs])`` or None."""

    __slots__ = ("call", "code", "key", "outputs", "pure", "spec", "uses")

    def __init__(self, code, key, outputs, uses, pure, call=None, spec=None):
        self.code = code  # the call, as Python source over slots s<k> and named constants
        self.key = key  # what two recordings compare
        self.outputs = outputs  # slots it assigns
        self.uses = uses  # slots it reads
        self.pure = pure  # an op: dropped when nothing reads its result
        self.call = call
        self.spec = spec  # an item of a list result: its (shape, dtype)


class _Recording:
    """The calls of one run of a step into the backend, as they happen."""

    def __init__(self):
        self.entries: list[_Entry] = []
        self.constants: list = []
        self.slots = 0
        self.objects: dict = {}  # slot -> the backend object (a tape, a context) made there
        self.depth = 0  # >0 inside a recorded call: the backend's own calls are part of it
        self.refused: str | None = None
        self.retry = True  # whether a later recording may succeed where this one was refused

    def refuse(self, reason: str, retry: bool = False) -> None:
        if self.refused is None:
            self.refused = reason
        self.retry = self.retry and retry

    def new_slot(self) -> int:
        self.slots += 1
        return self.slots - 1

    # -- arguments: raw values for the real call, source text and a key for the recording ------

    def encode(self, x, uses: list):
        kind = type(x)
        if kind is Traced:
            if x._recording is not self:
                self.refuse("the step uses a tensor kept from an earlier step")
                return x._value, "None", ("stale",)
            uses.append(x._slot)
            return x._value, f"s{x._slot}", ("s", x._slot)
        if kind is _Object:
            uses.append(x._slot)
            return x._obj, f"s{x._slot}", ("s", x._slot)
        if kind is list or kind is tuple:
            parts = [self.encode(item, uses) for item in x]
            raw = kind(p[0] for p in parts)
            code = ", ".join(p[1] for p in parts)
            code = f"[{code}]" if kind is list else f"({code}{',' if len(parts) == 1 else ''})"
            return raw, code, (kind.__name__,) + tuple(p[2] for p in parts)
        if kind is dict:
            parts = {key: self.encode(value, uses) for key, value in x.items()}
            code = ", ".join(f"{self.constant(key)}: {p[1]}" for key, p in parts.items())
            return ({key: p[0] for key, p in parts.items()}, f"{{{code}}}",
                    ("dict",) + tuple((key, p[2]) for key, p in parts.items()))
        if x is None:
            return None, "None", None
        return x, self.constant(x), ("c", _constant_key(x))

    def constant(self, value) -> str:
        """A name for ``value`` in the replay's source: the function's name for a function, so that
        ``source`` reads as the calls it makes."""
        name = getattr(value, "__name__", None) if callable(value) else None
        if not (isinstance(name, str) and name.isidentifier()):
            name = "c"
        name = f"{name}_{len(self.constants)}"
        self.constants.append((name, value))
        return name

    def arguments(self, args, kwargs, uses):
        """(raw positional args, raw keyword args, the call's argument source, its key, the positional
        arguments as (code, ref) pairs, the keyword arguments' source)."""
        raw_args, codes, keys, positional = [], [], [], []
        for a in args:
            raw, code, key = self.encode(a, uses)
            raw_args.append(raw)
            codes.append(code)
            keys.append(key)
            positional.append((code, _ref(a)))
        raw_kwargs, kw_codes = {}, []
        for name, value in kwargs.items():
            raw, code, key = self.encode(value, uses)
            raw_kwargs[name] = raw
            kw_codes.append(f"{name}={code}")
            keys.append((name, key))
        return raw_args, raw_kwargs, ", ".join(codes + kw_codes), tuple(keys), positional, ", ".join(kw_codes)

    # -- results ------------------------------------------------------------------------------

    def wrap(self, result, slot, numbers_are_data=True):
        """``result`` (made by the call that assigned ``slot``) as Traced tensors, unpacking lists.

        A Python number an op returns is data; one a tape or context method returns (``__exit__``'s
        False) is not."""
        kind = type(result)
        if not numbers_are_data and kind in (bool, int, float, str):
            return result
        if kind is list or kind is tuple:
            items = []
            for i, item in enumerate(result):
                if item is None:
                    items.append(None)
                    continue
                child = self.new_slot()
                spec = (tuple(getattr(item, "shape", ())), getattr(item, "dtype", None))
                self.entries.append(_Entry(f"s{child} = s{slot}[{i}]", ("item", i), (child,), (slot,), True,
                                           call=("item", i, slot, (), ""), spec=spec))
                items.append(self.wrap(item, child))
            return kind(items)
        if result is None:
            return None
        if hasattr(result, "__enter__"):
            self.objects[slot] = result
            return _Object(result, self, slot)
        return Traced(result, self, slot)

    # -- the three kinds of call ----------------------------------------------------------------

    def run(self, fn, args, kwargs):
        """``fn(*args, **kwargs)`` for real; what it calls in turn belongs to it and is not recorded."""
        self.depth += 1
        try:
            return fn(*args, **kwargs)
        finally:
            self.depth -= 1

    def call(self, name, fn, args, kwargs, pure):
        uses: list = []
        raw_args, raw_kwargs, code, key, positional, kw_code = self.arguments(args, kwargs, uses)
        result = self.run(fn, raw_args, raw_kwargs)
        if name in STATIC_OPS:
            return result
        if name in HOST_OPS:
            self.refuse(f"the step reads a tensor's values in Python (ops.{name})")
            return result
        slot = self.new_slot()
        self.entries.append(_Entry(f"s{slot} = {self.constant(fn)}({code})", (name, key), (slot,), tuple(uses),
                                   pure, call=("op", fn, None, positional, kw_code)))
        return self.wrap(result, slot)

    def write(self, name, fn, args):
        """A Variable write or fused update: kept for its effect; the storage it returns is the Variable's own."""
        uses: list = []
        raw_args, _, code, key, positional, _ = self.arguments(args, {}, uses)
        result = self.run(fn, raw_args, {})
        if name.startswith("assign") and result is not raw_args[0]:
            self.refuse(f"the backend's {name} made a new storage instead of writing in place")
        self.entries.append(_Entry(f"{self.constant(fn)}({code})", (name, key), (), tuple(uses), False,
                                   call=("write", fn, None, positional, "")))
        return result

    def call_method(self, obj, name, method, args, kwargs):
        uses = [obj._slot]
        raw_args, raw_kwargs, code, key, positional, kw_code = self.arguments(args, kwargs, uses)
        result = self.run(method, raw_args, raw_kwargs)
        call = ("method", name, obj._slot, positional, kw_code)
        if result is obj._obj:
            self.entries.append(_Entry(f"s{obj._slot}.{name}({code})", (name, key), (), tuple(uses), False, call))
            return obj
        slot = self.new_slot()
        self.entries.append(_Entry(f"s{slot} = s{obj._slot}.{name}({code})", (name, key), (slot,), tuple(uses),
                                   False, call))
        return self.wrap(result, slot, numbers_are_data=False)

    # -- the function ---------------------------------------------------------------------------

    def key(self):
        return tuple(entry.key for entry in self.entries)

    def compile(self, n_inputs: int, outputs):
        """The recorded calls as one function of the inputs' slots, returning ``outputs``' structure."""
        uses: list = []
        _, out_code, _ = self.encode(outputs, uses)
        live = set(uses)
        kept = []
        for entry in reversed(written_out(self)):
            if entry.pure and not live.intersection(entry.outputs):
                continue
            # Walking backwards, the first entry that reads a slot is its last reader: the slot is
            # let go right after it, so a tensor (and, on torch, the graph it holds) is freed as
            # soon as the eager step would free it, not when the whole step returns.
            done = [f"s{slot}" for slot in sorted(set(entry.uses) | set(entry.outputs))
                    if slot not in live and slot >= n_inputs]
            live.update(entry.uses)
            kept.append(entry.code + (f"\n{' = '.join(done)} = None" if done else ""))
        params = ", ".join(f"s{i}" for i in range(n_inputs))
        body = "\n".join(textwrap.indent(code, "    ") for code in reversed(kept))
        source = f"def replay({params}):\n{body}\n    return {out_code}\n"
        namespace = dict(self.constants)
        # The source holds only slot names, constant names and identifiers the frontend called:
        # every value, a user's string included, is a constant of the namespace.
        exec(compile(source, "<plugnet replayed step>", "exec"), namespace)  # noqa: S102
        replay = namespace["replay"]
        replay.source = source
        return replay


def _ref(x):
    """Where an argument's gradient would go: a slot, a Variable, a list of those, or None."""
    kind = type(x)
    if kind is Traced:
        return ("s", x._slot)
    if isinstance(x, Variable):
        return ("v", x)
    if kind is list or kind is tuple:
        refs = [_ref(item) for item in x]
        return ("l", refs) if any(refs) else None
    return None


def _constant_key(value):
    """What must be equal for two recordings to count as the same: the value of a Python number,
    string or shape, the identity of anything else (a Variable, a function, a storage)."""
    if type(value) in (int, float, bool, str, complex):
        return (type(value), value)
    if type(value) is tuple and all(type(v) in (int, float, bool, str) or v is None for v in value):
        return (tuple, value)
    return ("id", id(value))


# -- intercepting the backend while a step records ----------------------------------------------


def _traced_op(name, fn):
    pure = name not in STATIC_OPS

    def op(*args, **kwargs):
        recording = _active
        if recording is None or recording.depth:
            return fn(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})
        return recording.call(name, fn, args, kwargs, pure)

    op.__name__ = name
    return op


def _plain(x):
    """``x`` with its Traced tensors (in tuples, lists and dicts too) replaced by their values."""
    kind = type(x)
    if kind is Traced:
        return x._value
    if kind is list or kind is tuple:
        return kind(_plain(item) for item in x)
    if kind is dict:
        return {key: _plain(value) for key, value in x.items()}
    return x


def _traced_write(name, fn):
    def write(*args):
        recording = _active
        if recording is None or recording.depth:
            return fn(*[_plain(a) for a in args])
        return recording.write(name, fn, args)

    return write


def _traced_maker(fn):
    """Tape and no_recording: what they make is an object whose method calls are recorded."""

    def make(*args, **kwargs):
        recording = _active
        if recording is None or recording.depth:
            return fn(*args, **kwargs)
        return recording.call(getattr(fn, "__name__", "make"), fn, args, kwargs, pure=False)

    return make


def _refusing(name, fn):
    def refused(*args, **kwargs):
        if _active is not None and not _active.depth:
            # The first calls of a step often build what it needs (an optimizer's slots): that may
            # not happen again, so a later recording is tried.
            _active.refuse(f"the step calls the backend's {name} (a step that creates or reconfigures "
                           "Variables or seeds cannot be replayed)", retry=True)
        return fn(*[_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()})

    return refused


# id(backend) -> (backend, its patch); loaded backends live as long as the process anyway.
_patches: dict = {}


def _patch(backend) -> dict:
    """The Backend fields to set while a step records (made once per backend)."""
    entry = _patches.get(id(backend))
    patch = entry[1] if entry is not None and entry[0] is backend else None
    if patch is None:
        patch = {"ops": _namespace(backend.ops)}
        if backend.recording_ops is not None:
            patch["recording_ops"] = _namespace(backend.recording_ops)
        for name in _WRITES:
            fn = getattr(backend, name)
            if fn is not None:
                patch[name] = _traced_write(name, fn)
        patch["Tape"] = _traced_maker(backend.Tape)
        patch["no_recording"] = _traced_maker(backend.no_recording)
        for name in _REFUSED:
            patch[name] = _refusing(name, getattr(backend, name))
        _patches[id(backend)] = (backend, patch)
    return patch


def _namespace(table) -> types.SimpleNamespace:
    return types.SimpleNamespace(**{name: _traced_op(name, fn) for name, fn in vars(table).items()})


def _record(step, data, backend):
    """Run ``step(data)`` for real, recording: returns (its result, the recording, the inputs' structure)."""
    global _active
    recording = _Recording()
    flat, rebuild = flatten(data)
    inputs = [recording.wrap(x, recording.new_slot()) if x is not None else None for x in flat]
    patch = _patch(backend)
    saved = {name: getattr(backend, name) for name in patch}
    _active = recording
    for name, value in patch.items():
        setattr(backend, name, value)
    _backend._activate(backend)
    try:
        result = step(rebuild(inputs))
    finally:
        _active = None
        for name, value in saved.items():
            setattr(backend, name, value)
        _backend._activate(backend)
    return _plain(result), recording, inputs, result


def _signature(data, leaves: list):
    """A hashable key of ``data``'s structure and its tensors' types, shapes, dtypes and devices;
    appends the tensors to ``leaves`` (cheap: it runs before every replay)."""
    kind = type(data)
    if kind is tuple or kind is list:
        return (kind, tuple(_signature(item, leaves) for item in data))
    if kind is dict:
        return (dict, tuple((key, _signature(value, leaves)) for key, value in data.items()))
    if data is None:
        return None
    return _leaf_signature(data, leaves)


def _leaf_signature(x, leaves: list):
    kind = type(x)
    if kind is tuple or kind is list or kind is dict:
        return _signature(x, leaves)
    leaves.append(x)
    return (kind, tuple(getattr(x, "shape", ())), getattr(x, "dtype", None), getattr(x, "device", None))


class ReplayedStep:
    """``step`` recorded per input signature and replayed once two recordings agree (see the module).

    ``programs`` maps each signature to its replay function, or to None where
    the step must stay eager; ``reasons`` says why for those.
    """

    def __init__(self, step):
        self.step = step
        self.programs: dict = {}
        self.reasons: dict = {}
        # signature -> (recordings so far, the last recording): holding that recording keeps its
        # constants alive, so no object of the next one can reuse their ids and pass for them.
        self._pending: dict = {}
        self._version = tracking._version

    def __call__(self, data):
        if tracking._version != self._version:
            # A layer or Variable was added, or frozen, or an optimizer's rate became a schedule:
            # what the step does may have changed, so every signature records again.
            self.programs.clear()
            self.reasons.clear()
            self._pending.clear()
            self._version = tracking._version
        leaves: list = []
        if type(data) is tuple:  # (x, y) or (x, y, sample_weight) of tensors: the usual batch, keyed fast
            signature = tuple(None if x is None else _leaf_signature(x, leaves) for x in data)
        else:
            signature = _signature(data, leaves)
        program = self.programs.get(signature, False)
        if program:
            return program(*leaves)
        if program is None or _active is not None:
            return self.step(data)
        return self._record(signature, data)

    def _record(self, signature, data):
        backend = _backend.active()
        result, recording, inputs, traced_result = _record(self.step, data, backend)
        count, previous = self._pending.get(signature, (0, None))
        previous_key = None if previous is None else previous.key()
        if recording.refused and recording.retry and count + 1 < MAX_RECORDINGS:
            self._pending[signature] = (count + 1, None)
            return result
        if recording.refused:
            self.programs[signature] = None
            self.reasons[signature] = recording.refused
            self._pending.pop(signature, None)
            return result
        if recording.key() == previous_key:
            slots = [x for x in inputs if x is not None]
            # Inputs are slots 0..n-1 in order; None leaves are constants of the signature.
            assert [x._slot for x in slots] == list(range(len(slots)))
            self.programs[signature] = recording.compile(len(slots), traced_result)
            self._pending.pop(signature, None)
        elif count + 1 >= MAX_RECORDINGS:
            self.programs[signature] = None
            self.reasons[signature] = "its recordings differ from step to step (Python state inside the step)"
            self._pending.pop(signature, None)
        else:
            self._pending[signature] = (count + 1, recording)
        return result


def replayed(step) -> ReplayedStep:
    """``step(data)`` recorded and replayed on the active backend (see the module docstring)."""
    return ReplayedStep(step)
