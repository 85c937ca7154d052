"""``save_model`` / ``load_model`` and ``save_weights`` / ``load_weights``.

A model file is data, never code: the architecture is JSON from each object's
``get_config``, the values are safetensors. Loading instantiates only classes
registered with plugnet, contributed by an installed plugin, or passed in
``custom_objects``; it never imports a module named in the file and never
unpickles. See docs/saving.md for the format.
"""

from __future__ import annotations

import datetime
import json
import os

import numpy as np

from plugnet import backend as _backend
from plugnet import registry
from plugnet.saving import archive, safetensors_io, weights
from plugnet.saving.atomic import atomic_write
from plugnet.saving.safe_mode import safe_mode_scope

MODEL_SUFFIX = ".plugnet"
WEIGHTS_SUFFIX = ".weights.safetensors"
# Bumped when a change to the layout would make older plugnet versions misread new files.
FORMAT_VERSION = 1
# Markers inside configs that name no registered class.
_MARKERS = frozenset({"__keras_tensor__", "__lambda__"})


def save_model(model, filepath, overwrite: bool = True) -> None:
    """Save ``model`` (architecture, weights, optimizer state) as one ``.plugnet`` file.

    The file is a zip holding ``config.json`` (the model's config, build and
    compile config), ``metadata.json`` and ``model.weights.safetensors``
    (every variable of the model, non-trainable ones and seed-generator
    positions included, plus the optimizer's variables when the model is
    compiled and has trained). It is written atomically: a crash or a full
    disk leaves any previous file intact.

    Args:
        model: a :class:`plugnet.Model`.
        filepath: a path ending in ``.plugnet``.
        overwrite: when False, an existing file is an error (FileExistsError).

    Example:
        >>> model.save("classifier.plugnet")
        >>> restored = plugnet.models.load_model("classifier.plugnet")
    """
    from plugnet.models import Model

    path = os.fspath(filepath)
    if not isinstance(model, Model):
        raise TypeError(f"save_model() expects a plugnet Model, got {type(model).__name__}: {model!r}.")
    if not str(path).endswith(MODEL_SUFFIX):
        raise ValueError(
            f"Invalid filepath extension for saving model '{model.name}': save_model() writes plugnet's native "
            f"format, whose files end in '{MODEL_SUFFIX}' (to save only the weights, use save_weights() with a "
            f"'{WEIGHTS_SUFFIX}' file). Received: filepath={path!r}"
        )
    _check_overwrite(path, overwrite)
    # Everything is serialized before the file is opened: an object that cannot be saved touches no file.
    config = _to_json(_model_config(model), f"model '{model.name}'")
    metadata = _to_json(_metadata(), "metadata")
    values = safetensors_io.encode(weights.collect(model), _weights_metadata())
    archive.write_archive(path, config, metadata, values)


def load_model(filepath, custom_objects: dict | None = None, compile: bool = True, safe_mode: bool = True):
    """Load a model saved by :func:`save_model`, on the active backend, whatever backend saved it.

    Args:
        filepath: a ``.plugnet`` file.
        custom_objects: ``{"ClassName": cls}`` for classes (layers, losses,
            ...) the file names that are neither plugnet's, nor registered with
            :func:`plugnet.registry.register_serializable`, nor contributed by
            a plugin.
        compile: compile the model as it was saved and restore the optimizer
            state, so training continues where it stopped.
        safe_mode: refuse configs holding Python bytecode (a ``Lambda`` layer
            around a lambda). Pass False only for files you trust: it runs the
            code they contain.

    Every error names the file and what is wrong with it; nothing from the file
    is ever executed, imported or unpickled (unless ``safe_mode=False``).
    """
    path = os.fspath(filepath)
    if str(path).endswith(WEIGHTS_SUFFIX):
        raise ValueError(f"{path!r} holds weights only: load it with model.load_weights() into a built model.")
    if not str(path).endswith(MODEL_SUFFIX):
        raise ValueError(
            f"File format not supported: load_model() reads '{MODEL_SUFFIX}' files written by save_model(). "
            f"Received: filepath={path!r}"
        )
    if not os.path.isfile(path):
        raise ValueError(f"File not found: filepath={path!r}. Check the path of the '{MODEL_SUFFIX}' file.")
    config, metadata, raw_values = archive.read_archive(path)
    _check_metadata(metadata, path)
    values, _ = safetensors_io.decode(raw_values, f"{path}: {archive.WEIGHTS}")
    with registry.custom_object_scope(custom_objects), safe_mode_scope(safe_mode):
        model = _rebuild(config, custom_objects, path)
        weights.load_model_values(model, values, f"{path}: {archive.WEIGHTS}")
        compile_config = config.get("compile_config")
        if compile and compile_config:
            _check_class_names(compile_config, custom_objects, path)
            try:
                model.compile_from_config(compile_config)
            except Exception as exc:
                raise ValueError(
                    f"{path}: the model loaded, but compiling it as saved failed ({type(exc).__name__}: {exc}). "
                    f"Pass the missing objects in custom_objects, or load with compile=False and compile it yourself."
                ) from exc
            weights.load_optimizer_values(model, values, f"{path}: {archive.WEIGHTS}", strict=True)
    return model


def save_weights(model, filepath, overwrite: bool = True) -> None:
    """Save the values of ``model`` (and its optimizer's, when compiled and trained) as safetensors.

    Any program that reads safetensors reads the file; keys are described in
    docs/saving.md. Written atomically, like :func:`save_model`.

    Args:
        model: a :class:`plugnet.Model`.
        filepath: a path ending in ``.weights.safetensors``.
        overwrite: when False, an existing file is an error (FileExistsError).
    """
    path = os.fspath(filepath)
    if not str(path).endswith(WEIGHTS_SUFFIX):
        raise ValueError(
            f"save_weights(): the filename must end in '{WEIGHTS_SUFFIX}'. Received: filepath={path!r}"
        )
    _check_overwrite(path, overwrite)
    data = safetensors_io.encode(weights.collect(model), _weights_metadata())
    with atomic_write(path) as file:
        file.write(data)


def load_weights(model, filepath, skip_mismatch: bool = False) -> None:
    """Load values saved by :func:`save_weights` (or the weights inside a ``.plugnet`` file) into ``model``.

    The model must be built with the same architecture: a missing, extra,
    reshaped or retyped value raises a ValueError naming the layer, the
    expected and the found shape, before anything is assigned. With
    ``skip_mismatch=True`` the layers that differ are skipped with a warning.
    When the file holds optimizer state and the model is compiled, the
    optimizer is built and restored too (a different optimizer is skipped
    with a warning, as Keras does).
    """
    path = os.fspath(filepath)
    if str(path).endswith(MODEL_SUFFIX):
        raw = archive.read_weights_member(path)
        source = f"{path}: {archive.WEIGHTS}"
    elif str(path).endswith(WEIGHTS_SUFFIX):
        if not os.path.isfile(path):
            raise ValueError(f"File not found: filepath={path!r}.")
        with open(path, "rb") as file:
            raw = file.read()
        source = path
    else:
        raise ValueError(
            f"load_weights() reads '{WEIGHTS_SUFFIX}' files (from save_weights) or '{MODEL_SUFFIX}' files "
            f"(from save). Received: filepath={path!r}"
        )
    values, _ = safetensors_io.decode(raw, source)
    weights.load_model_values(model, values, source, skip_mismatch=skip_mismatch)
    weights.load_optimizer_values(model, values, source, strict=False)


# ---------------------------------------------------------------------- helpers


def _check_overwrite(path: str, overwrite: bool) -> None:
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"{path!r} already exists; pass overwrite=True to replace it.")


def _model_config(model) -> dict:
    try:
        config = model.get_config()
    except NotImplementedError as exc:
        raise NotImplementedError(f"Cannot save model '{model.name}': {exc}") from exc
    return {
        "class_name": registry.registered_name(model),
        "config": config,
        "build_config": model.get_build_config(),
        "compile_config": model.get_compile_config() or None,
    }


def _metadata() -> dict:
    import plugnet

    return {
        "plugnet_version": plugnet.__version__,
        "backend": _backend.name(),
        "date_saved": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "format_version": FORMAT_VERSION,
    }


def _weights_metadata() -> dict:
    import plugnet

    return {"format": "plugnet", "format_version": str(FORMAT_VERSION), "plugnet_version": plugnet.__version__,
            "backend": _backend.name()}


def _to_json(data, what: str) -> bytes:
    def plain(value):
        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
        raise TypeError(
            f"Cannot save {what}: its config holds {value!r} of type {type(value).__name__}, which is not JSON "
            f"data (numbers, strings, lists, dicts). Return plain data from get_config()."
        )

    return json.dumps(data, default=plain).encode("utf-8")


def _check_metadata(metadata: dict, path: str) -> None:
    version = metadata.get("format_version")
    if type(version) is not int:
        raise ValueError(f"{path}: {archive.METADATA} has no integer format_version; it was not written by plugnet.")
    if version > FORMAT_VERSION:
        raise ValueError(
            f"{path} uses file format {version}, written by plugnet {metadata.get('plugnet_version')!r}; this "
            f"plugnet reads format {FORMAT_VERSION} and older. Upgrade plugnet to load it."
        )


def _rebuild(config: dict, custom_objects, path: str):
    """The model ``config.json`` describes, built, with fresh weights."""
    from plugnet.layers.layer import _shape_from_json
    from plugnet.models import Model

    if not isinstance(config.get("class_name"), str) or not isinstance(config.get("config"), dict):
        raise ValueError(  # noqa: TRY004 (the file's content is wrong, not the caller's argument)
            f"{path}: {archive.CONFIG} must hold 'class_name' (a string) and 'config' (an object)."
        )
    # Every class the config names must be known before anything is instantiated.
    _check_class_names({"class_name": config["class_name"], "config": config["config"]}, custom_objects, path)
    try:
        model = registry.deserialize({"class_name": config["class_name"], "config": config["config"]},
                                     custom_objects)
    except Exception as exc:
        raise ValueError(
            f"{path}: cannot rebuild the model from {archive.CONFIG}: {type(exc).__name__}: {exc}"
        ) from exc
    if not isinstance(model, Model):
        raise ValueError(  # noqa: TRY004 (the file's content is wrong, not the caller's argument)
            f"{path}: {archive.CONFIG} describes a {type(model).__name__}, not a model."
        )
    build_config = config.get("build_config")
    if not model.built and isinstance(build_config, dict) and build_config.get("input_shape") is not None:
        try:
            model.build(_shape_from_json(build_config["input_shape"]))
        except Exception as exc:
            raise ValueError(
                f"{path}: cannot build model '{model.name}' for input shape {build_config['input_shape']!r}: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    return model


def _check_class_names(config, custom_objects, path: str) -> None:
    """Every ``{"class_name": ...}`` in ``config`` must name a registered class (not a function)."""
    pending = [config]
    while pending:
        value = pending.pop()
        if isinstance(value, dict):
            name = value.get("class_name")
            if isinstance(name, str) and name not in _MARKERS:
                try:
                    found = registry.get_registered(name, custom_objects)
                except ValueError as exc:
                    raise ValueError(f"{path}: {archive.CONFIG}: {exc}") from None
                if not isinstance(found, type):
                    raise ValueError(
                        f"{path}: {archive.CONFIG} names {name!r} as a class, but it is registered as "
                        f"{type(found).__name__} {found!r}; only classes can be instantiated from a file."
                    )
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)
