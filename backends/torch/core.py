"""Conversion, creation, dtypes, variables, devices and compilation for the torch backend.

Ops take torch tensors, NumPy arrays, Python data or plugnet Variables and
return torch tensors. :func:`tensor` is the one conversion, fast-pathed for
tensors (``type(x) is Tensor``), so an op on tensors costs one type check per
argument more than calling torch itself. Host data follows Keras's choices:
Python floats become float32, Python ints int32; NumPy arrays keep their dtype.

New tensors (creation ops, random ops, host data converted to tensors) and
Variables go to ``placement.device``, which :func:`device_scope` sets.
"""

from __future__ import annotations

import contextlib
import os

import numpy as np
import torch

from plugnet.dtypes import standardize_dtype
from plugnet.plugins.host_data import host_array
from plugnet.variables import Variable

Tensor = torch.Tensor
NUMBERS = (int, float, bool)
"""Python scalars: torch keeps them "weak" (a float32 tensor times 2.0 stays float32)."""


class _Placement:
    """Where new tensors are created: the device of the innermost :func:`device_scope`."""

    __slots__ = ("device", "on_cpu")

    def __init__(self):
        self.device = torch.device("cpu")
        self.on_cpu = True


placement = _Placement()


# -- dtypes --------------------------------------------------------------------

_TORCH_DTYPES = {
    name: getattr(torch, name)
    for name in ("bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
                 "float16", "bfloat16", "float32", "float64", "complex64", "complex128")
    if hasattr(torch, name)
}
_BY_KEY: dict = {dt: dt for dt in _TORCH_DTYPES.values()}


def torch_dtype(dtype, default=torch.float32) -> torch.dtype:
    """The torch dtype for a dtype name (or any dtype-like); ``default`` for None. Cached."""
    if dtype is None:
        return default
    try:
        return _BY_KEY[dtype]
    except (KeyError, TypeError):
        pass
    name = standardize_dtype(dtype)
    if name not in _TORCH_DTYPES:
        raise ValueError(f"The 'torch' backend has no dtype {name!r}.")
    result = _TORCH_DTYPES[name]
    try:
        _BY_KEY[dtype] = result
    except TypeError:
        pass
    return result


def _numpy_dtype(dt: torch.dtype):
    """The NumPy dtype holding host data bound for ``dt`` (NumPy has no bfloat16: float32)."""
    return np.dtype("float32") if dt is torch.bfloat16 else np.dtype(str(dt)[len("torch."):])


# -- conversion ------------------------------------------------------------------

_FOREIGN = {"tensorflow": "tensorflow", "keras": "tensorflow", "jax": "jax", "jaxlib": "jax", "mlx": "mlx"}


def _refuse_foreign(x) -> None:
    """A clear error for another framework's tensor (told apart by module name, never imported)."""
    framework = _FOREIGN.get(type(x).__module__.partition(".")[0])
    if framework is None:
        return
    kind = "Variable" if "Variable" in type(x).__name__ else "Tensor"
    if os.environ.get("PLUGNET_BACKEND") == "torch":
        how = "set by the PLUGNET_BACKEND environment variable"
    else:
        how = "set with plugnet.set_backend('torch')"
    switch = f" or switch backends with plugnet.set_backend({framework!r})" if framework == "tensorflow" else ""
    raise TypeError(
        f"The 'torch' backend got a {framework} {kind}: plugnet is using the 'torch' backend ({how}); "
        f"convert it with .numpy(){switch}."
    )


def _from_numpy(array: np.ndarray, device=None) -> Tensor:
    """A NumPy array as a tensor on ``device`` (default: the current one), sharing memory on the CPU where it can."""
    if not array.flags.writeable:
        array = array.copy()  # torch cannot share read-only memory
    try:
        t = torch.from_numpy(array)
    except ValueError:  # negative strides or a foreign byte order
        t = torch.from_numpy(np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("=")))
    except TypeError:
        raise TypeError(f"The 'torch' backend cannot hold NumPy arrays of dtype {array.dtype}.") from None
    if device is None:
        return t if placement.on_cpu else t.to(placement.device)
    return t if device.type == "cpu" else t.to(device)


def _holds_tensors(items) -> bool:
    return any(isinstance(i, (Tensor, Variable)) or (isinstance(i, (list, tuple)) and _holds_tensors(i))
               for i in items)


def _convert(x, dtype: torch.dtype | None = None, device=None) -> Tensor:
    """Anything tensor-like as a tensor; host data read directly in ``dtype`` when given, and
    placed on ``device`` (default: the current device)."""
    if type(x) is Variable or isinstance(x, Variable):
        t = x._value
    elif isinstance(x, Tensor):
        t = x
    elif isinstance(x, (list, tuple)) and _holds_tensors(x):
        parts = [_convert(i, device=device) for i in x]
        t = torch.stack(parts)
    else:
        _refuse_foreign(x)
        array = host_array("torch", x, None if dtype is None else _numpy_dtype(dtype))
        t = _from_numpy(array, device)
    if dtype is not None and t.dtype is not dtype:
        t = t.to(dtype)
    return t


def tensor(x, device=None) -> Tensor:
    """``x`` as a torch tensor: itself, a Variable's storage, or host data converted
    (placed on ``device``, by default the current device)."""
    if type(x) is Tensor:
        return x
    return _convert(x, device=device)


def device_of(x):
    """The device of a tensor or Variable; None for host data."""
    if isinstance(x, Tensor):
        return x.device
    if isinstance(x, Variable):
        return x._value.device
    return None


def lift(number, like: Tensor) -> Tensor:
    """A Python number as a 0-d tensor of the dtype torch would give ``like op number``, on like's device.

    A 0-d tensor does not promote a dimensioned one of its kind, so this keeps
    the weak-scalar result dtype for ops that do not take numbers.
    """
    return torch.tensor(number, dtype=torch.result_type(like, number), device=like.device)


def operands(x1, x2):
    """(tensor, tensor or Python number) for a binary op that takes a number second.

    Host data meeting a tensor goes to that tensor's device.
    """
    # A layer's weights reach most ops as Variables: their storage is the tensor.
    if type(x1) is Variable:
        x1 = x1._value
    if type(x2) is Variable:
        x2 = x2._value
    if type(x2) is not Tensor and type(x2) not in NUMBERS:
        x2 = _convert(x2, device=device_of(x1))
    if type(x1) is not Tensor:
        if type(x1) in NUMBERS and isinstance(x2, Tensor):
            x1 = lift(x1, x2)
        else:
            x1 = _convert(x1, device=device_of(x2))
    return x1, x2


def tensors(x1, x2):
    """(tensor, tensor) for a binary op that takes no numbers."""
    x1, x2 = operands(x1, x2)
    if type(x2) in NUMBERS:
        x2 = lift(x2, x1)
    return x1, x2


def same_dtype(x1: Tensor, x2: Tensor):
    """Both tensors in their promoted dtype (torch's matmul and conv do not promote)."""
    if x1.dtype is x2.dtype:
        return x1, x2
    dt = torch.promote_types(x1.dtype, x2.dtype)
    return x1.to(dt), x2.to(dt)


def floating(x: Tensor) -> Tensor:
    """``x`` itself if floating, else as float32 (activations and means of integers)."""
    return x if x.is_floating_point() else x.to(torch.float32)


def number(x):
    """A Python number from a number, a 0-d array or a 0-d tensor."""
    return x.item() if isinstance(x, (Tensor, np.ndarray, np.generic)) else x


def as_shape(shape) -> tuple:
    """A shape argument (an int, or a sequence of ints, arrays or tensors) as a tuple of ints."""
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    if isinstance(shape, (Tensor, np.ndarray)):
        shape = shape.tolist()
        if isinstance(shape, int):
            return (shape,)
    return tuple(int(d) for d in shape)


def convert_to_tensor(x, dtype=None):
    if dtype is None:
        return x if type(x) is Tensor else _convert(x)
    dt = torch_dtype(dtype)
    if type(x) is Tensor:
        return x if x.dtype is dt else x.to(dt)
    return _convert(x, dt)


def convert_to_numpy(x):
    if not isinstance(x, Tensor):
        if not isinstance(x, Variable):
            _refuse_foreign(x)
            return np.asarray(x)
        x = x.value
    x = x.detach()
    if x.device.type != "cpu":
        x = x.cpu()
    if x.dtype is torch.bfloat16:
        x = x.float()
    return x.numpy()


def is_tensor(x):
    return isinstance(x, Tensor)


def shape(x):
    if type(x) is Tensor or isinstance(x, Tensor):
        return tuple(x.shape)
    if isinstance(x, Variable):
        return tuple(x.value.shape)
    return tuple(np.shape(x))


def ndim(x):
    return tensor(x).dim()


def size(x):
    return tensor(x).numel()


def dtype(x):
    return standardize_dtype(tensor(x).dtype)


def cast(x, dtype):
    x = tensor(x)
    dt = torch_dtype(dtype)
    return x if x.dtype is dt else x.to(dt)


def stop_gradient(x):
    return tensor(x).detach()


# -- creation ------------------------------------------------------------------


def zeros(shape, dtype=None):
    return torch.zeros(as_shape(shape), dtype=torch_dtype(dtype), device=placement.device)


def ones(shape, dtype=None):
    return torch.ones(as_shape(shape), dtype=torch_dtype(dtype), device=placement.device)


def _filled(shape, fill_value, dt, device):
    """A new tensor of ``shape``, torch dtype ``dt`` on ``device`` holding ``fill_value``
    (a number, or an array broadcast to ``shape``)."""
    if type(fill_value) in NUMBERS or isinstance(fill_value, np.generic):
        return torch.full(shape, number(fill_value), dtype=dt, device=device)
    fill = tensor(fill_value).detach().to(device=device, dtype=dt)
    return torch.broadcast_to(fill, shape).clone(memory_format=torch.contiguous_format)


def full(shape, fill_value, dtype=None):
    return _filled(as_shape(shape), fill_value, torch_dtype(dtype), placement.device)


def zeros_like(x, dtype=None):
    return torch.zeros_like(tensor(x), dtype=None if dtype is None else torch_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(tensor(x), dtype=None if dtype is None else torch_dtype(dtype))


def full_like(x, fill_value, dtype=None):
    x = tensor(x)
    dt = x.dtype if dtype is None else torch_dtype(dtype)
    if type(fill_value) in NUMBERS:
        return torch.full_like(x, fill_value, dtype=dt)
    return _filled(x.shape, fill_value, dt, x.device)


def arange(start, stop=None, step=1, dtype=None):
    start, stop, step = number(start), number(stop), number(step)
    if dtype is None:
        is_int = all(isinstance(v, (int, np.integer)) for v in (start, stop, step) if v is not None)
        dtype = "int32" if is_int else "float32"
    if stop is None:
        start, stop = 0, start
    return torch.arange(start, stop, step, dtype=torch_dtype(dtype), device=placement.device)


def linspace(start, stop, num=50, dtype=None):
    dt = torch_dtype(dtype)
    start, stop = number(start), number(stop)
    if dt.is_floating_point:
        return torch.linspace(start, stop, int(num), dtype=dt, device=placement.device)
    # As NumPy: computed in float64, then floored into the integer type.
    return torch.linspace(start, stop, int(num), dtype=torch.float64, device=placement.device).floor().to(dt)


def eye(N, M=None, k=0, dtype=None):
    dt = torch_dtype(dtype)
    M = N if M is None else M
    if k == 0:
        return torch.eye(int(N), int(M), dtype=dt, device=placement.device)
    rows = torch.arange(int(N), device=placement.device)[:, None]
    cols = torch.arange(int(M), device=placement.device)
    return (cols - rows == int(k)).to(dt)


# -- variables -------------------------------------------------------------------


def variable(value, dtype, trainable):
    """A Variable's storage: a private leaf tensor on the current device, requiring grad if trainable."""
    dt = torch_dtype(dtype)
    source = value if type(value) is Tensor else _convert(value, dt)
    storage = source.detach().to(device=placement.device, dtype=dt, copy=True)
    if trainable and storage.is_floating_point():
        storage.requires_grad_(True)
    return storage


def _write(storage: Tensor, value):
    if type(value) is Tensor or isinstance(value, Tensor):
        storage.copy_(value)
    else:
        storage.fill_(value)


def _update(write, storage: Tensor, value):
    """Apply ``write(storage, value)`` in place, recording no gradient (the version counter
    still tells autograd if a recorded value was overwritten)."""
    if type(value) is not Tensor and type(value) not in NUMBERS:
        value = tensor(value)
    if isinstance(value, Tensor) and value.dtype is not storage.dtype:
        value = value.to(storage.dtype)  # as NumPy's unsafe casting into the storage
    if torch.is_grad_enabled():
        with torch.no_grad():
            write(storage, value)
    else:
        write(storage, value)
    return storage


def assign(storage, value):
    return _update(_write, storage, value)


def assign_add(storage, delta):
    return _update(Tensor.add_, storage, delta)


def assign_sub(storage, delta):
    return _update(Tensor.sub_, storage, delta)


def set_trainable(storage, trainable):
    if storage.is_floating_point():
        storage.requires_grad_(bool(trainable))
    return storage


# -- devices, seeds, compilation ------------------------------------------------------


def devices():
    return ["cpu"] + [f"gpu:{i}" for i in range(torch.cuda.device_count())]


def _torch_device(name: str) -> torch.device:
    if name == "cpu":
        return torch.device("cpu")
    kind, _, index = name.partition(":")
    count = torch.cuda.device_count()
    if kind == "gpu" and index.isdigit() and int(index) < count:
        return torch.device("cuda", int(index))
    seen = "torch sees no CUDA device" if count == 0 else f"torch sees {count} CUDA device(s)"
    raise ValueError(f"The 'torch' backend has no device {name!r} ({seen}).")


@contextlib.contextmanager
def device_scope(name):
    """Place new tensors and Variables on ``name`` ('cpu' or 'gpu:N') inside the block."""
    device = _torch_device(name)
    previous = placement.device, placement.on_cpu
    placement.device, placement.on_cpu = device, device.type == "cpu"
    try:
        yield
    finally:
        placement.device, placement.on_cpu = previous


def set_seed(seed):
    torch.manual_seed(int(seed))


def compile_step(fn, jit_compile=None):
    """``torch.compile(fn)`` when ``jit_compile`` is True; ``fn`` itself otherwise (eager)."""
    return torch.compile(fn) if jit_compile is True else fn
