"""Why the NumPy backend wraps arrays only inside a tape (and not an ndarray subclass).

Measures, on a tiny and a medium array, the cost of one ``add``:

* ``np.add`` on bare ndarrays (the floor);
* ``plugnet.ops.add`` outside a tape (what inference and optimizer updates pay);
* ``plugnet.ops.add`` inside a GradientTape (recording);
* a minimal ndarray *subclass* that records through ``__array_ufunc__``, the
  alternative design, outside and inside a recording context.

Run: python bench/tensor_type.py
"""

from __future__ import annotations

import timeit

import numpy as np

import plugnet
from plugnet import ops


class Recorded(np.ndarray):
    """The alternative: every result is a subclass instance; ufuncs are intercepted."""

    recording = False
    log: list = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raw = [i.view(np.ndarray) if isinstance(i, Recorded) else i for i in inputs]
        out = getattr(ufunc, method)(*raw, **kwargs).view(Recorded)
        if Recorded.recording:
            Recorded.log.append((ufunc, inputs))
        return out


def per_call_ns(fn, number):
    best = min(timeit.repeat(fn, number=number, repeat=7))
    return best / number * 1e9


def main():
    plugnet.set_backend("numpy")
    print(f"{'case':<44}{'tiny (4,) ns':>14}{'(256, 256) ns':>15}")
    for label, make in [("np.add on ndarray", None), ("plugnet.ops.add, no tape", "plain"),
                        ("plugnet.ops.add, inside a GradientTape", "tape"),
                        ("ndarray subclass, not recording", "sub"), ("ndarray subclass, recording", "subrec")]:
        row = []
        for shape, number in (((4,), 200_000), ((256, 256), 2_000)):
            a = np.ones(shape, "float32")
            b = np.ones(shape, "float32")
            if make is None:
                row.append(per_call_ns(lambda: np.add(a, b), number))
            elif make == "plain":
                row.append(per_call_ns(lambda: ops.add(a, b), number))
            elif make == "tape":
                v = plugnet.Variable(a)
                tape = plugnet.GradientTape(persistent=True)
                with tape:
                    row.append(per_call_ns(lambda: ops.add(v, b), number // 10))
                del tape
            else:
                sa, sb = a.view(Recorded), b.view(Recorded)
                Recorded.recording = make == "subrec"
                row.append(per_call_ns(lambda: np.add(sa, sb), number // 10))
                Recorded.recording, Recorded.log = False, []
        print(f"{label:<44}{row[0]:>14.0f}{row[1]:>15.0f}")


if __name__ == "__main__":
    main()
