"""The torch backend. This package imports torch only from its backend modules,
never from plugin.py, so discovering it costs nothing."""
