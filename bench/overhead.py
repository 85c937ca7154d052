"""Fixed costs: one tiny op, ``import plugnet``, and peak memory of a training run.

    python bench/overhead.py

* per-op: ``plugnet.ops.add`` on a 4-element float32 tensor against the
  framework's own add on the same tensors (target <= 1.5x);
* import: wall time of ``import plugnet`` in a fresh interpreter with the NumPy
  backend (target < 0.3 s), against ``import numpy`` alone;
* peak memory: maximum resident set of a process that trains the MLP
  784-256-256-10 for 50 steps through plugnet, against the native loop.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import timeit

HERE = os.path.dirname(os.path.abspath(__file__))
BACKENDS = ("numpy", "torch", "tensorflow")


def _best_ns(fn, number=20000):
    return min(timeit.repeat(fn, number=number, repeat=7)) / number * 1e9


def per_op(backend):
    import numpy as np

    import plugnet
    from plugnet import ops

    plugnet.set_backend(backend)
    a = ops.convert_to_tensor(np.ones(4, "float32"))
    b = ops.convert_to_tensor(np.ones(4, "float32"))
    if backend == "numpy":
        native = np.add
    elif backend == "torch":
        import torch

        native = torch.add
    else:
        import tensorflow as tf

        native = tf.add
    ours = _best_ns(lambda: ops.add(a, b))
    theirs = _best_ns(lambda: native(a, b))
    return {"plugnet_ns": ours, "native_ns": theirs}


def peak_memory(backend, which):
    import resource

    import numpy as np

    sys.path.insert(0, HERE)
    import train_step

    import plugnet

    plugnet.set_backend(backend)
    spec = train_step.mlp_spec()
    if which == "native":
        net = train_step.native_loop(backend, spec)
        batches = [net.prepare(x, y) for x, y in spec["batches"]]
        step = net.step
    else:
        model = train_step.compiled(plugnet, spec)
        batches = spec["batches"]
        step = model.train_on_batch
    for i in range(50):
        step(*batches[i % len(batches)])
    del np
    return {"max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def child(kind, backend, which=None):
    result = per_op(backend) if kind == "op" else peak_memory(backend, which)
    print(json.dumps(result))


def run_child(*args):
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    out = subprocess.run([sys.executable, __file__, "--child", *args], capture_output=True, text=True, env=env)
    if out.returncode:
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def import_seconds(statement):
    code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
    times = []
    for _ in range(5):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env={**os.environ, "PLUGNET_BACKEND": "numpy"}, check=True)
        times.append(float(out.stdout))
    return min(times)


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(*sys.argv[2:])
        return
    import plugnet

    installed = [b for b in BACKENDS if plugnet.backend.available()[b].installed]
    print("per-op overhead: plugnet.ops.add vs the framework's add, 4-element float32")
    for backend in installed:
        r = run_child("op", backend)
        if r is None:
            print(f"  {backend:<11} failed")
            continue
        print(f"  {backend:<11} {r['plugnet_ns']:>8.0f} ns vs {r['native_ns']:>8.0f} ns  "
              f"ratio {r['plugnet_ns'] / r['native_ns']:.2f}")
    numpy_s, plugnet_s = import_seconds("import numpy"), import_seconds("import plugnet")
    print(f"import: `import plugnet` {plugnet_s:.3f} s (of which `import numpy` {numpy_s:.3f} s)")
    print("peak memory (max RSS) training the MLP for 50 steps")
    for backend in installed:
        ours, theirs = run_child("mem", backend, "plugnet"), run_child("mem", backend, "native")
        if ours is None or theirs is None:
            print(f"  {backend:<11} failed")
            continue
        print(f"  {backend:<11} plugnet {ours['max_rss_mb']:>7.1f} MB   native {theirs['max_rss_mb']:>7.1f} MB")


if __name__ == "__main__":
    main()
