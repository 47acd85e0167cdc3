"""``minispore.mindrecord`` (MindSpore's ``mindspore.mindrecord``): ``FileWriter`` writes MindRecord files, which
``minispore.dataset.MindDataset`` (and MindSpore's) reads."""

from .runtime.mindrecord_writer import FileWriter

__all__ = ["FileWriter"]
