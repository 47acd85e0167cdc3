"""``FileWriter`` (MindSpore's ``mindspore.mindrecord.FileWriter``): rows of a declared schema into MindRecord
shard files and their ``.db`` indexes, written at ``commit``."""

import os
import re

import numpy as np

from .mindrecord_format import HEADER_SIZE, NP_TYPES, PAGE_SIZE, SCALAR_TYPES
from .mindrecord_io import encode_rows, write_shard

_NAME = re.compile(r"^[0-9a-zA-Z_]+$")
_TYPES = ("int32", "int64", "float32", "float64", "string", "bytes")


class FileWriter:
    """Write a MindRecord dataset: ``add_schema``, optionally ``add_index``, ``write_raw_data`` (a list of dicts),
    then ``commit``. ``shard_num`` > 1 writes ``file_name0``, ``file_name1``, ..."""

    def __init__(self, file_name, shard_num=1, overwrite=False):
        if not isinstance(file_name, str) or not file_name:
            raise ValueError(f"Invalid file, the file name should be a non-empty str, but got {file_name!r}")
        if isinstance(shard_num, bool) or not isinstance(shard_num, int) or not 1 <= shard_num <= 1000:
            raise ValueError(f"Parameter shard_num's value: {shard_num} should between 1 and 1000.")
        self._paths = [file_name] if shard_num == 1 else [f"{file_name}{i}" for i in range(shard_num)]
        for p in self._paths:
            if not overwrite and (os.path.exists(p) or os.path.exists(p + ".db")):
                raise RuntimeError(f"Invalid file, mindrecord files already exist. Please check file path: {p}")
        folder = os.path.dirname(os.path.abspath(file_name))
        if not os.path.isdir(folder):
            raise RuntimeError(f"Invalid file, the folder {folder} of the MindRecord file does not exist")
        self._schema, self._desc, self._index, self._rows = None, "", None, []
        self._header_size, self._page_size, self._committed = HEADER_SIZE, PAGE_SIZE, False

    def add_schema(self, content, desc=None):
        """Declare the fields: ``{name: {"type": ..., "shape": [...]}}``; returns the schema id (0)."""
        if self._schema is not None:
            raise RuntimeError("Only one schema can be added to a MindRecord file.")
        if not isinstance(content, dict) or not content:
            raise ValueError("Invalid schema, the schema should be a non-empty dict.")
        for name, spec in content.items():
            if not isinstance(name, str) or not _NAME.match(name):
                raise ValueError(f"Invalid schema, field name {name!r} should contain only letters, digits and '_'")
            if not isinstance(spec, dict) or spec.get("type") not in _TYPES or set(spec) - {"type", "shape"}:
                raise ValueError(f"Invalid schema, field {name!r}: {spec!r} should be {{'type': one of {_TYPES}"
                                 f"[, 'shape': [...]]}}")
            if "shape" in spec and (spec["type"] in ("string", "bytes") or not isinstance(spec["shape"], list) or not
                                    all(isinstance(d, int) and (d > 0 or d == -1) for d in spec["shape"])):
                raise ValueError(f"Invalid schema, field {name!r}: shape {spec.get('shape')!r} should be a list of "
                                 "positive ints or -1, for a numeric type")
        self._schema = {k: {kk: content[k][kk] for kk in sorted(content[k])} for k in sorted(content)}
        self._desc = "" if desc is None else str(desc)
        return 0

    def _blob_fields(self):
        return [f for f, s in self._schema.items() if s["type"] == "bytes" or "shape" in s]

    def add_index(self, index_fields):
        """Fields to index in the ``.db`` (scalar fields; default: every scalar field)."""
        if self._schema is None:
            raise RuntimeError("Please add schema before adding index.")
        if not isinstance(index_fields, list) or not index_fields:
            raise ValueError("Invalid index fields, index_fields should be a non-empty list of field names.")
        for f in index_fields:
            if f not in self._schema or f in self._blob_fields() or self._schema[f]["type"] not in SCALAR_TYPES:
                raise ValueError(f"Invalid index field {f!r}: an index field should be a scalar field of the schema")
        self._index = list(index_fields)

    def set_header_size(self, header_size):
        if not 1 << 14 <= header_size <= 1 << 30 or header_size & (header_size - 1):
            raise ValueError("Invalid header size, it should be a power of 2 in [16KB, 1GB].")
        self._header_size = header_size

    def set_page_size(self, page_size):
        if not 1 << 15 <= page_size <= 1 << 36 or page_size & (page_size - 1):
            raise ValueError("Invalid page size, it should be a power of 2 in [32KB, 64GB].")
        self._page_size = page_size

    def write_raw_data(self, raw_data, parallel_writer=False):
        """Append rows (a list of dicts with every schema field); they are written at ``commit``."""
        if self._schema is None:
            raise RuntimeError("Please add schema before writing raw data.")
        if self._committed:
            raise RuntimeError("The MindRecord file has been committed; open a new FileWriter to write more.")
        if not isinstance(raw_data, list) or not all(isinstance(r, dict) for r in raw_data):
            raise ValueError("Invalid data, raw_data should be a list of dicts.")
        for k, row in enumerate(raw_data):
            self._rows.append(self._check_row(row, len(self._rows) + k))

    def _check_row(self, row, k):
        out = {}
        for f, spec in self._schema.items():
            if f not in row:
                raise ValueError(f"Invalid data, row {k} has no field {f!r} of the schema")
            v, t = row[f], spec["type"]
            if t == "bytes" and not isinstance(v, (bytes, bytearray)):
                raise TypeError(f"Invalid data, field {f!r} of row {k} should be bytes, but got {type(v).__name__}")
            if t == "string" and not isinstance(v, str):
                raise TypeError(f"Invalid data, field {f!r} of row {k} should be str, but got {type(v).__name__}")
            if "shape" in spec:
                arr = np.asarray(v)
                fixed = list(spec["shape"])
                if -1 not in fixed and int(np.prod(fixed)) != arr.size:
                    raise ValueError(f"Invalid data, field {f!r} of row {k} has {arr.size} elements, but its shape "
                                     f"is {fixed}")
                v = arr.astype(NP_TYPES[t])
            out[f] = v
        return out

    def commit(self):
        """Write the shard files and their indexes; rows are dealt to the shards in contiguous, even runs."""
        if self._schema is None:
            raise RuntimeError("Please add schema before commit.")
        blob_fields = self._blob_fields()
        index = self._index if self._index is not None else [f for f in self._schema if f not in blob_fields]
        n, k = len(self._rows), len(self._paths)
        cuts = [n * i // k for i in range(k + 1)]
        parts = [self._rows[cuts[i]:cuts[i + 1]] for i in range(k)]
        encoded = [encode_rows(p, self._schema, blob_fields) for p in parts]
        fields = {"header_size": self._header_size, "page_size": self._page_size,
                  "compression_size": sum(e[2] for e in encoded),
                  "schema": {"blob_fields": blob_fields, "desc": self._desc, "schema": self._schema}}
        addresses = [os.path.basename(p) for p in self._paths]
        for shard_id, (path, rows, (blobs, raws, _)) in enumerate(zip(self._paths, parts, encoded)):
            write_shard(path, shard_id, addresses, rows, blobs, raws, fields, index, self._schema)
        self._committed = True
        return None
