"""The tensorflow backend. This package imports tensorflow only from its backend modules,
never from plugin.py, so discovering it costs nothing."""
