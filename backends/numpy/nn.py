"""Convolution, pooling and moments (NumPy), each backward rule after its forward."""

from __future__ import annotations

import numpy as np

from .autograd import vjp
