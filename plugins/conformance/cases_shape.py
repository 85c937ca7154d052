"""Sample calls and NumPy references (see harness.Case)."""

import numpy as np

from .harness import Case, sample

CASES = {}
REFERENCE = {}
