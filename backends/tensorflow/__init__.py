"""The TensorFlow backend: plugnet's ops on ``tf.Tensor``, Variables as ``tf.Variable``,
``plugnet.GradientTape`` on ``tf.GradientTape``, compiled steps as ``tf.function``.

The same file names as every backend: ``core`` (conversion, dtype promotion,
creation, variables, devices), ``math``, ``shape``, ``nn``, ``random`` (stateless,
seeded by an int or an integer tensor), ``autograd`` (the tape, recording pauses,
``compile_step``) and ``backend`` (assembly). Every op also runs inside
``tf.function``. This package imports tensorflow only from those modules, never
from ``plugin.py``, so discovering the backend costs nothing.
"""
