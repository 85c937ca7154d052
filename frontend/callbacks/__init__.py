"""Callbacks: objects that act at points of ``fit``, ``evaluate`` and ``predict``.

``fit`` always adds a :class:`History` (which it returns) and, unless
``verbose=0``, a :class:`ProgbarLogger`.
"""

from plugnet.callbacks.backup_and_restore import BackupAndRestore
from plugnet.callbacks.callback import Callback
from plugnet.callbacks.callback_list import CallbackList
from plugnet.callbacks.csv_logger import CSVLogger
from plugnet.callbacks.early_stopping import EarlyStopping
from plugnet.callbacks.history import History
from plugnet.callbacks.lambda_callback import LambdaCallback
from plugnet.callbacks.learning_rate_scheduler import LearningRateScheduler
from plugnet.callbacks.model_checkpoint import ModelCheckpoint
from plugnet.callbacks.progbar_logger import ProgbarLogger
from plugnet.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = [
    "BackupAndRestore",
    "CSVLogger",
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "History",
    "LambdaCallback",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgbarLogger",
    "TerminateOnNaN",
]
