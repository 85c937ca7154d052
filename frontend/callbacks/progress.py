"""Progress displays on stdout: a live tqdm bar, or one summary line per run.

tqdm is an optional dependency (``pip install 'plugnet[progress]'``). Without
it a live bar falls back to the one-line summary, and plugnet says once how to
get the bar.
"""

from __future__ import annotations

import sys
import time

#: Seconds between two redraws of a live bar (about ten redraws a second).
REFRESH_INTERVAL = 0.1
INSTALL_HINT = "pip install 'plugnet[progress]'"
_hint_shown = False


def format_value(value) -> str:
    """A metric value as Keras prints it: 4 decimals, scientific notation when tiny."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if number != 0.0 and abs(number) < 1e-3:
        return f"{number:.4e}"
    return f"{number:.4f}"


def format_logs(logs) -> str:
    """``"loss: 0.1234 - accuracy: 0.9000"`` for a mapping of metric values."""
    if not logs:
        return ""
    return " - ".join(f"{name}: {format_value(value)}" for name, value in logs.items())


def _format_duration(seconds: float) -> str:
    if seconds >= 1.0:
        return f"{seconds:.0f}s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms"
    return f"{seconds * 1e6:.0f}us"


class SummaryLine:
    """Prints one line when the run finishes: ``32/32 - 1s - 31ms/step - loss: 0.1234``."""

    live = False

    def __init__(self, total, unit: str = "step"):
        self.unit = unit
        self._start = time.monotonic()

    def update(self, seen: int, logs=None) -> None:
        """Nothing to redraw: the line is printed by :meth:`finish`."""

    def finish(self, seen: int, logs=None) -> None:
        elapsed = time.monotonic() - self._start
        parts = [f"{seen}/{seen}", _format_duration(elapsed)]
        if seen:
            parts.append(f"{_format_duration(elapsed / seen)}/{self.unit}")
        text = format_logs(logs)
        if text:
            parts.append(text)
        print(" - ".join(parts), file=sys.stdout, flush=True)


class TqdmBar:
    """A live tqdm bar: steps done, percentage, elapsed time, ETA, rate and the metrics."""

    live = True

    def __init__(self, total, unit: str = "step"):
        from tqdm.auto import tqdm

        # The caller throttles redraws, so tqdm redraws on every update it gets.
        self._bar = tqdm(total=total, file=sys.stdout, unit=unit, leave=True, dynamic_ncols=True,
                         mininterval=0, miniters=1)

    def update(self, seen: int, logs=None) -> None:
        bar = self._bar
        if logs:
            bar.set_postfix_str(format_logs(logs), refresh=False)
        bar.update(seen - bar.n)

    def finish(self, seen: int, logs=None) -> None:
        bar = self._bar
        if bar.total is None or bar.total < seen:
            bar.total = seen
        if logs:
            bar.set_postfix_str(format_logs(logs), refresh=False)
        bar.n = seen
        bar.close()  # draws the final state once


def make_display(total, verbose: int, unit: str = "step"):
    """A live bar for ``verbose=1`` (when tqdm is installed), else a summary line."""
    if verbose == 1:
        try:
            return TqdmBar(total, unit)
        except ImportError:
            _hint_once()
    return SummaryLine(total, unit)


def _hint_once() -> None:
    global _hint_shown
    if not _hint_shown:
        _hint_shown = True
        print(f"(For a live progress bar, install tqdm: {INSTALL_HINT})", file=sys.stdout, flush=True)
