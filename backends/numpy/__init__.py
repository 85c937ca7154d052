"""The NumPy backend: the reference every other backend is compared with.

Pure NumPy, float32 by default, with its own reverse-mode autograd
(:mod:`.autograd`), so it trains as well as it predicts.
"""
