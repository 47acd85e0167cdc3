"""``MindDataset``: the rows of MindRecord files (``FileWriter``'s or MindSpore's). One file name reads every
shard its header lists (from the same folder); a list reads just those files. Columns are the schema's fields
in name order (or ``columns_list``): scalars as 0-d arrays of their type, strings as numpy str, arrays in their
declared shape, bytes as a 1-element numpy bytes array (as MindSpore 2.10 gives them)."""

import os

from .dataset_base import _column_list
from .dataset_sources import _SourceDataset
from .mindrecord_io import read_header, read_shard


class _Rows:
    def __init__(self, rows, columns):
        self.rows, self.columns = rows, columns

    def __len__(self):
        return len(self.rows)

    def __getitem__(self, i):
        return tuple(self.rows[i][c] for c in self.columns)


def _files(dataset_files):
    if isinstance(dataset_files, str):
        header = read_header(dataset_files)
        folder = os.path.dirname(dataset_files)
        return [os.path.join(folder, a) for a in header["shard_addresses"]]
    if not isinstance(dataset_files, (list, tuple)) or not dataset_files or \
            not all(isinstance(f, str) for f in dataset_files):
        raise TypeError(f"For 'MindDataset', dataset_files should be a str or a non-empty list of str, but got "
                        f"{dataset_files!r}")
    return list(dataset_files)


class MindDataset(_SourceDataset):
    """MindRecord files as a dataset (shuffled by default, like every source)."""

    def __init__(self, dataset_files, columns_list=None, num_parallel_workers=None, shuffle=None, num_shards=None,
                 shard_id=None, sampler=None, padded_sample=None, num_padded=None, num_samples=None, cache=None):
        if padded_sample is not None or num_padded:
            raise ValueError("For 'MindDataset', padded_sample and num_padded are not supported by minispore")
        rows, schema = [], None
        for path in _files(dataset_files):
            if not os.path.isfile(path):
                raise RuntimeError(f"Invalid file, MindRecord file {path} does not exist")
            header = read_header(path)
            if schema is None:
                schema = header["schema"][0]["schema"]
            elif header["schema"][0]["schema"] != schema:
                raise RuntimeError(f"Invalid file, {path} has another schema than the first MindRecord file")
            rows.extend(read_shard(path, header))
        columns = sorted(schema)
        if columns_list is not None:
            columns = _column_list(columns_list, "MindDataset", "columns_list")
            for c in columns:
                if c not in schema:
                    raise RuntimeError(f"For 'MindDataset', column '{c}' is not in the MindRecord schema: "
                                       f"{sorted(schema)}")
        if not rows:
            raise RuntimeError("Invalid data, the MindRecord files hold no rows")
        super().__init__("MindDataset", _Rows(rows, columns), columns, None, num_samples, shuffle, sampler,
                         num_shards, shard_id)
