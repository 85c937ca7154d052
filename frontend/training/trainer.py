"""Placeholder replaced by the training loop (compile / fit / evaluate / predict)."""


class Trainer:
    pass
