"""Training: the ``Trainer`` behind ``Model.compile/fit/evaluate/predict``, and its data adapters."""

from plugnet.training.array_adapter import ArrayDataAdapter
from plugnet.training.data_adapter import (
    DataAdapter,
    get_data_adapter,
    pack_x_y_sample_weight,
    register_data_adapter,
    unpack_x_y_sample_weight,
)
from plugnet.training.generator_adapter import GeneratorDataAdapter
from plugnet.training.trainer import Trainer

__all__ = [
    "ArrayDataAdapter",
    "DataAdapter",
    "GeneratorDataAdapter",
    "Trainer",
    "get_data_adapter",
    "pack_x_y_sample_weight",
    "register_data_adapter",
    "unpack_x_y_sample_weight",
]
