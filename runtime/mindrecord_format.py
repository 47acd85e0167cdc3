"""MindRecord, MindSpore's own dataset file format, as MindSpore 2.10's ShardWriter lays it out (read from files
MindSpore wrote; tests/runtime/test_mindrecord.py checks both directions against bytes recorded from MindSpore).

A shard file: an 8-byte little-endian length, the JSON header (schema, pages, shard addresses), zeros up to
``header_size`` (16 MiB), then pages of ``page_size`` (32 MiB) each at ``header_size + page_id * page_size``, the
last one cut at its used size. BLOB_DATA pages hold, per row, an 8-byte little-endian length and the blob
fields (sorted by name: one field alone as its bytes; several as an 8-byte big-endian length and the bytes
each); int32/int64 arrays are compressed (a big-endian element count, 2 bits per element for its width, then
each element little-endian in 1, 2, 4 or 8 bytes). RAW_DATA pages hold, per row, an 8-byte little-endian length
and a MessagePack map of the other fields. Beside it, ``<file>.db`` (SQLite) indexes every row's page offsets."""

import struct

import numpy as np

NP_TYPES = {"int32": np.int32, "int64": np.int64, "float32": np.float32, "float64": np.float64}
SCALAR_TYPES = ("int32", "int64", "float32", "float64", "string")
SQL_TYPES = {"int32": "INTEGER", "int64": "INTEGER", "float32": "REAL", "float64": "REAL", "string": "TEXT"}
HEADER_SIZE, PAGE_SIZE = 1 << 24, 1 << 25


# ---- MessagePack: the subset nlohmann::json writes (maps, str, ints, floats, bools, nil) ----------------------
def pack(obj):
    if obj is None:
        return b"\xc0"
    if isinstance(obj, (bool, np.bool_)):
        return b"\xc3" if obj else b"\xc2"
    if isinstance(obj, (int, np.integer)):
        v = int(obj)
        if 0 <= v < 128 or -32 <= v < 0:
            return struct.pack("b" if v < 0 else "B", v)
        for lo, hi, code, fmt in ((0, 255, 0xcc, ">B"), (0, 65535, 0xcd, ">H"), (0, 2**32 - 1, 0xce, ">I"),
                                  (0, 2**64 - 1, 0xcf, ">Q"), (-128, 127, 0xd0, ">b"), (-2**15, 2**15 - 1, 0xd1, ">h"),
                                  (-2**31, 2**31 - 1, 0xd2, ">i"), (-2**63, 2**63 - 1, 0xd3, ">q")):
            if lo <= v <= hi and (v >= 0) == (lo == 0):
                return bytes([code]) + struct.pack(fmt, v)
        raise ValueError(f"integer {v} does not fit in 64 bits")
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        as32 = np.float32(v)
        if float(as32) == v or v != v:  # nlohmann writes a float32 when that loses nothing
            return b"\xca" + struct.pack(">f", as32)
        return b"\xcb" + struct.pack(">d", v)
    if isinstance(obj, str):
        raw = obj.encode()
        n = len(raw)
        head = bytes([0xa0 | n]) if n < 32 else (b"\xd9" + struct.pack(">B", n) if n < 256 else
                                                  b"\xda" + struct.pack(">H", n) if n < 65536 else
                                                  b"\xdb" + struct.pack(">I", n))
        return head + raw
    if isinstance(obj, dict):
        n = len(obj)
        head = bytes([0x80 | n]) if n < 16 else (b"\xde" + struct.pack(">H", n) if n < 65536 else
                                                  b"\xdf" + struct.pack(">I", n))
        return head + b"".join(pack(k) + pack(v) for k, v in sorted(obj.items()))
    raise TypeError(f"cannot store {type(obj).__name__} in a MindRecord raw field")


def unpack(buf, i=0):
    """(value, next offset) of the MessagePack value at ``buf[i]``."""
    b = buf[i]
    if b < 0x80:
        return b, i + 1
    if b >= 0xe0:
        return b - 256, i + 1
    if 0x80 <= b <= 0x8f or b in (0xde, 0xdf):
        n, i = (b & 0x0f, i + 1) if b <= 0x8f else (
            (struct.unpack_from(">H", buf, i + 1)[0], i + 3) if b == 0xde else (struct.unpack_from(">I", buf, i + 1)[0],
                                                                             i + 5))
        out = {}
        for _ in range(n):
            k, i = unpack(buf, i)
            out[k], i = unpack(buf, i)
        return out, i
    if 0xa0 <= b <= 0xbf or b in (0xd9, 0xda, 0xdb):
        if b <= 0xbf:
            n, i = b & 0x1f, i + 1
        else:
            fmt, size = {0xd9: (">B", 1), 0xda: (">H", 2), 0xdb: (">I", 4)}[b]
            n, i = struct.unpack_from(fmt, buf, i + 1)[0], i + 1 + size
        return bytes(buf[i:i + n]).decode(), i + n
    fixed = {0xc0: (None, 0), 0xc2: (False, 0), 0xc3: (True, 0)}
    if b in fixed:
        return fixed[b][0], i + 1
    fmt = {0xca: ">f", 0xcb: ">d", 0xcc: ">B", 0xcd: ">H", 0xce: ">I", 0xcf: ">Q", 0xd0: ">b", 0xd1: ">h",
           0xd2: ">i", 0xd3: ">q"}.get(b)
    if fmt is None:
        raise ValueError(f"unsupported MessagePack type byte 0x{b:02x}")
    v = struct.unpack_from(fmt, buf, i + 1)[0]
    return v, i + 1 + struct.calcsize(fmt)


# ---- blobs ----------------------------------------------------------------------------------------------------
_WIDTHS = ((np.int8, 0), (np.int16, 1), (np.int32, 2), (np.int64, 3))


def compress_ints(values):
    values = np.asarray(values).ravel()
    bitmap = bytearray((len(values) + 3) // 4)
    body = bytearray()
    for k, v in enumerate(values.tolist()):
        np_type, code = next(w for w in _WIDTHS if np.iinfo(w[0]).min <= v <= np.iinfo(w[0]).max)
        bitmap[k // 4] |= code << (2 * (3 - k % 4))
        body += np.array(v, np_type).astype(np.dtype(np_type).newbyteorder("<")).tobytes()
    return struct.pack(">I", len(values)) + bytes(bitmap) + bytes(body)


def decompress_ints(buf, np_type):
    n = struct.unpack_from(">I", buf, 0)[0]
    i, out = 4 + (n + 3) // 4, np.empty(n, np_type)
    for k in range(n):
        code = (buf[4 + k // 4] >> (2 * (3 - k % 4))) & 3
        width = 1 << code
        out[k] = int.from_bytes(buf[i:i + width], "little", signed=True)
        i += width
    return out


def field_bytes(value, spec):
    """One blob field's stored bytes (uncompressed) and, for an int array, its compressed form."""
    if spec["type"] == "bytes":
        return bytes(value), None
    arr = np.ascontiguousarray(np.asarray(value, NP_TYPES[spec["type"]]))
    raw = arr.astype(arr.dtype.newbyteorder("<")).tobytes()
    return raw, compress_ints(arr) if spec["type"] in ("int32", "int64") else None


def encode_blob(row, blob_fields, schema):
    """(stored blob, bytes saved by compression) for one row."""
    if not blob_fields:
        return b"\0\0\0\0", 0
    parts = [field_bytes(row[f], schema[f]) for f in blob_fields]
    if len(parts) == 1:
        raw, packed = parts[0]
        return (packed, len(raw) - len(packed)) if packed is not None else (raw, 0)
    out, saved = bytearray(), 0
    for raw, packed in parts:
        data = raw if packed is None else packed
        saved += 0 if packed is None else len(raw) - len(packed)
        out += struct.pack(">Q", len(data)) + data
    return bytes(out), saved


def _field_value(data, spec):
    if spec["type"] == "bytes":
        return np.array([bytes(data)])  # MindSpore 2.10 gives a bytes field as a 1-element bytes array
    if spec["type"] in ("int32", "int64"):
        arr = decompress_ints(data, NP_TYPES[spec["type"]])
    else:
        arr = np.frombuffer(data, np.dtype(NP_TYPES[spec["type"]]).newbyteorder("<")).astype(NP_TYPES[spec["type"]])
    shape = spec.get("shape", [-1])
    return arr.reshape(shape)


def decode_blob(blob, blob_fields, schema):
    if len(blob_fields) == 1:
        return {blob_fields[0]: _field_value(blob, schema[blob_fields[0]])}
    out, i = {}, 0
    for f in blob_fields:
        n = struct.unpack_from(">Q", blob, i)[0]
        out[f] = _field_value(blob[i + 8:i + 8 + n], schema[f])
        i += 8 + n
    return out
