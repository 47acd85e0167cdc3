"""MindSpore's ``checkpoint.proto`` on the protobuf wire, written and read by hand (no protobuf dependency).

```
message Checkpoint { message Value { required string tag = 1;
                                     oneof value { TensorProto tensor = 2; MapTensorProto maptensor = 3; } }
                     repeated Value value = 1; }
message TensorProto { repeated int64 dims = 1; required string tensor_type = 2; required bytes tensor_content = 3; }
```

A file is a concatenation of serialized ``Checkpoint`` messages; protobuf merges repeated fields, so
the reader simply reads ``value`` entries (field 1) until the end. ``dims`` may be packed or not.
"""

_VARINT, _I64, _LEN, _I32 = 0, 1, 2, 5


class ProtoError(ValueError):
    """The bytes are not a well-formed Checkpoint message."""


def varint(n):
    """Encode a non-negative int (a negative int64 as its 10-byte two's complement, as protobuf does)."""
    if n < 0:
        n += 1 << 64
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field, wire):
    return varint((field << 3) | wire)


def _len_field(field, payload):
    return _key(field, _LEN) + varint(len(payload)) + payload


def tensor_proto(dims, tensor_type, content):
    """A serialized TensorProto (dims unpacked, as proto2 writes a repeated int64)."""
    out = bytearray()
    for d in dims:
        out += _key(1, _VARINT) + varint(int(d))
    out += _len_field(2, tensor_type.encode())
    out += _len_field(3, bytes(content))
    return bytes(out)


def checkpoint_value(tag, dims, tensor_type, content):
    """One serialized ``Checkpoint`` message holding one ``Value`` (a file is a concatenation of them)."""
    value = _len_field(1, tag.encode()) + _len_field(2, tensor_proto(dims, tensor_type, content))
    return _len_field(1, value)


def _read_varint(buf, pos, end):
    shift = result = 0
    while True:
        if pos >= end:
            raise ProtoError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint too long")


def _fields(buf, pos, end):
    """Yield (field, wire, value) of a message in buf[pos:end]; value is an int or a memoryview."""
    while pos < end:
        key, pos = _read_varint(buf, pos, end)
        field, wire = key >> 3, key & 7
        if field == 0:
            raise ProtoError("field number 0")
        if wire == _VARINT:
            value, pos = _read_varint(buf, pos, end)
        elif wire == _LEN:
            n, pos = _read_varint(buf, pos, end)
            if pos + n > end:
                raise ProtoError("truncated length-delimited field")
            value, pos = buf[pos:pos + n], pos + n
        elif wire == _I64:
            if pos + 8 > end:
                raise ProtoError("truncated fixed64")
            value, pos = int.from_bytes(buf[pos:pos + 8], "little"), pos + 8
        elif wire == _I32:
            if pos + 4 > end:
                raise ProtoError("truncated fixed32")
            value, pos = int.from_bytes(buf[pos:pos + 4], "little"), pos + 4
        else:
            raise ProtoError(f"unsupported wire type {wire}")
        yield field, wire, value


def _int64(n):
    return n - (1 << 64) if n >= 1 << 63 else n


def _parse_tensor(buf):
    dims, ttype, content = [], None, None
    for field, wire, value in _fields(buf, 0, len(buf)):
        if field == 1:
            if wire == _VARINT:
                dims.append(_int64(value))
            elif wire == _LEN:  # packed
                p = 0
                while p < len(value):
                    d, p = _read_varint(value, p, len(value))
                    dims.append(_int64(d))
            else:
                raise ProtoError("bad dims")
        elif field == 2 and wire == _LEN:
            ttype = bytes(value).decode("utf-8")
        elif field == 3 and wire == _LEN:
            content = value
    if ttype is None or content is None:
        raise ProtoError("TensorProto misses a required field")
    return dims, ttype, content


def parse_checkpoint(data):
    """``[(tag, dims, tensor_type, content memoryview)]`` of every Value in ``data`` (the concatenated
    Checkpoint messages of a file), in file order. A MapTensor value raises ProtoError (unsupported)."""
    buf = memoryview(data)
    out = []
    for field, wire, value in _fields(buf, 0, len(buf)):
        if field != 1 or wire != _LEN:
            raise ProtoError(f"unexpected field {field} (wire type {wire}) in Checkpoint")
        tag, tensor = None, None
        for f, w, v in _fields(value, 0, len(value)):
            if f == 1 and w == _LEN:
                tag = bytes(v).decode("utf-8")
            elif f == 2 and w == _LEN:
                tensor = _parse_tensor(v)
            elif f == 3:
                raise ProtoError("MapTensor values are not supported")
        if tag is None or tensor is None:
            raise ProtoError("Checkpoint.Value misses a required field")
        out.append((tag, *tensor))
    return out
