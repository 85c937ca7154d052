"""The hooks a plugnet plugin may implement.

A plugin is any module named in the ``plugnet`` entry-point group of an
installed distribution::

    [project.entry-points.plugnet]
    mybackend = "mypackage.plugnet_plugin"

Its hook implementations are marked with :data:`plugnet.plugins.hookimpl`.
Each hook below says who calls it, when, and what an answer means. Hooks are
called while discovering plugins, never per tensor operation.
"""

from . import hookspec


@hookspec
def plugnet_register_backends(register):
    """Declare the backends this plugin provides.

    Called once, the first time plugnet needs the list of backends (selecting a
    backend, ``plugnet.backend.available()``), by the plugin manager.

    Call ``register(BackendSpec(...))`` once per backend (see
    :class:`plugnet.plugins.BackendSpec`). The implementation must be cheap:
    it must not import the backend's framework. The framework is imported only
    when the user selects the backend, through ``BackendSpec.module``.
    Return nothing.
    """


@hookspec
def plugnet_register_objects(register):
    """Contribute classes that saved models may name: layers, losses, metrics,
    optimizers, initializers, regularizers, activations, callbacks.

    Called once, when plugnet first resolves a class name while deserializing
    (``from_config`` of a model, loading a saved model).

    Call ``register(obj)`` for a class or function; it is registered under
    ``obj.__name__`` (or ``register(obj, name="Custom")``). Only registered
    objects can be instantiated by loading: a saved file never names a module
    to import. Return nothing.
    """
