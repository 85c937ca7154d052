"""The image data format of layers: ``channels_last`` (Keras's default) or ``channels_first``."""

from __future__ import annotations

DEFAULT = "channels_last"
_FORMATS = ("channels_last", "channels_first")


def standardize_data_format(data_format, owner: str = "layer") -> str:
    """``data_format`` checked and lower-cased; None gives the default, ``"channels_last"``."""
    if data_format is None:
        return DEFAULT
    value = str(data_format).lower()
    if value not in _FORMATS:
        raise ValueError(f"{owner}: `data_format` must be one of {_FORMATS} (or None), got {data_format!r}.")
    return value
