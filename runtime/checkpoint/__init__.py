"""Checkpoints: MindSpore's ``.ckpt`` format (protobuf wire written by hand) and safetensors,
``save_checkpoint``/``load_checkpoint``/``load_param_into_net``, and the ``ModelCheckpoint`` callback."""

from .callback import CheckpointConfig, ModelCheckpoint  # noqa: F401,E402
from .ckpt import save_checkpoint  # noqa: F401
from .load import load_checkpoint, load_param_into_net  # noqa: F401
