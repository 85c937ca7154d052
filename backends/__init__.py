"""plugnet's built-in backends. Each is a plugin folder with the same file names:

``plugin.py`` (declares the backend; imports no framework), ``backend.py``
(``create_backend()``), ``core.py`` (conversion, creation, dtypes, variables,
devices), ``math.py`` (elementwise, comparison, activation, reduction, linalg),
``shape.py`` (manipulation and indexing), ``nn.py`` (convolution, pooling,
moments), ``random.py`` (seeded sampling, dropout) and ``autograd.py``
(the backend's side of ``plugnet.GradientTape``).
"""
