"""save_checkpoint / load_checkpoint / load_param_into_net: the .ckpt wire format (every dtype, 0-d,
strings, sliced tensors, both dtype spellings, CRC), safetensors, errors, atomic and async saves."""

import binascii
import logging
import os

import numpy as np
import pytest

import minispore as ms
from minispore import Parameter, Tensor, nn
from minispore.runtime.checkpoint import ckpt as ckpt_mod
from minispore.runtime.checkpoint import proto

VALUES = {
    "f32": np.arange(6, dtype=np.float32).reshape(2, 3) / 7,
    "f16": np.array([1.5, -2.25, 65504.0], np.float16),
    "f64": np.array([[np.pi]], np.float64),
    "i8": np.array([-128, 127], np.int8),
    "u8": np.array([0, 255], np.uint8),
    "i16": np.array([-3], np.int16),
    "u16": np.array([65535], np.uint16),
    "i32": np.array([1, -2, 3], np.int32),
    "u32": np.array([4294967295], np.uint32),
    "i64": np.array([-(2 ** 62)], np.int64),
    "u64": np.array([2 ** 63], np.uint64),
    "flag": np.array([True, False, True]),
    "scalar": np.array(0.25, np.float32),
    "scalar_i": np.array(7, np.int32),
    "empty": np.zeros((0, 3), np.float32),
}


def _params():
    return [Parameter(Tensor(v), name=k) for k, v in VALUES.items()]


def test_round_trip_every_dtype(tmp_path):
    path = str(tmp_path / "all.ckpt")
    ms.save_checkpoint(_params(), path, append_dict={"note": "héllo", "epoch_num": 3, "lr": 0.5, "ok": True})
    got = ms.load_checkpoint(path)
    assert list(got) == [*VALUES, "note", "epoch_num", "lr", "ok"]
    for k, v in VALUES.items():
        a = got[k].asnumpy()
        assert a.dtype == v.dtype and a.shape == v.shape and np.array_equal(a, v), k
    assert got["note"] == "héllo"
    assert got["epoch_num"].asnumpy().dtype == np.int64 and int(got["epoch_num"].asnumpy()) == 3
    assert got["lr"].asnumpy().dtype == np.float32 and bool(got["ok"].asnumpy()) is True
    # what it wrote parses with the same reader as MindSpore's file, dims and type names as MindSpore writes
    with open(path, "rb") as f:
        entries = {t: (d, ty) for t, d, ty, _ in proto.parse_checkpoint(f.read())}
    assert entries["scalar"] == ([], "Float32") and entries["u8"] == ([2], "UInt8")
    assert entries["flag"] == ([3], "Bool") and entries["note"] == ([0], "str")
    # and a dict as load_checkpoint returns saves back the same bytes
    again = str(tmp_path / "again.ckpt")
    ms.save_checkpoint(got, again)
    assert open(again, "rb").read() == open(path, "rb").read()


def test_name_gets_suffix_and_file_is_read_only(tmp_path):
    ms.save_checkpoint(_params(), str(tmp_path / "net"))
    assert os.listdir(tmp_path) == ["net.ckpt"]
    assert not os.access(tmp_path / "net.ckpt", os.W_OK) or os.geteuid() == 0
    ms.save_checkpoint(_params(), str(tmp_path / "net.ckpt"))  # over a read-only file
    assert os.listdir(tmp_path) == ["net.ckpt"]


def test_old_spellings_dims0_scalars_and_packed_dims(tmp_path):
    """1.x files write 'Uint8'-style names; dims [0] is a scalar; a packed repeated dims field reads too."""
    data = (proto.checkpoint_value("a", [2], "Uint8", bytes([1, 2]))
            + proto.checkpoint_value("b", [0], "Float32", np.float32(1.5).tobytes())
            + proto.checkpoint_value("c", [0], "Int32", np.int32(-4).tobytes()))
    packed = b"\n\x01\x02"  # TensorProto.dims packed: field 1, length 1, value 2
    tensor = packed + b"\x12\x07Float32" + b"\x1a\x08" + np.float32([1, 2]).tobytes()
    value = b"\n\x01d" + b"\x12" + bytes([len(tensor)]) + tensor
    data += b"\n" + bytes([len(value)]) + value
    path = tmp_path / "old.ckpt"
    path.write_bytes(data)
    got = ms.load_checkpoint(str(path))
    assert got["a"].asnumpy().dtype == np.uint8 and list(got["a"].asnumpy()) == [1, 2]
    assert got["b"].shape == () and float(got["b"].asnumpy()) == 1.5
    assert got["c"].shape == () and int(got["c"].asnumpy()) == -4
    assert list(got["d"].asnumpy()) == [1.0, 2.0]


def test_large_tensor_is_sliced_and_concatenated(tmp_path, monkeypatch):
    monkeypatch.setattr(ckpt_mod, "SLICE_SIZE", 1)  # KB: a 10 KB tensor is written as 10 same-tag Values
    big = np.random.default_rng(0).standard_normal((40, 64)).astype(np.float32)
    path = str(tmp_path / "big.ckpt")
    ms.save_checkpoint([Parameter(Tensor(big), name="w"), Parameter(Tensor(np.ones(2, np.float32)), name="b")],
                       path)
    with open(path, "rb") as f:
        tags = [t for t, *_ in proto.parse_checkpoint(f.read())]
    assert tags.count("w") == 10 and tags[-1] == "b"
    got = ms.load_checkpoint(path)
    assert np.array_equal(got["w"].asnumpy(), big) and list(got) == ["w", "b"]


def test_crc(tmp_path):
    path = str(tmp_path / "crc.ckpt")
    ms.save_checkpoint(_params(), path, crc_check=True)
    raw = open(path, "rb").read()
    assert raw[-17:-10] == b"crc_num" and int.from_bytes(raw[-10:], "big") == binascii.crc32(raw[:-17])
    assert list(ms.load_checkpoint(path, crc_check=True)) == list(VALUES)
    assert list(ms.load_checkpoint(path)) == list(VALUES)  # the trailer is stripped without checking
    damaged = bytearray(raw)
    damaged[40] ^= 0xFF
    bad = tmp_path / "bad.ckpt"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="the crc check is failed.*bad.ckpt"):
        ms.load_checkpoint(str(bad), crc_check=True)
    plain = str(tmp_path / "plain.ckpt")
    ms.save_checkpoint(_params(), plain)
    with pytest.raises(ValueError, match="not saved with crc check"):
        ms.load_checkpoint(plain, crc_check=True)


@pytest.mark.parametrize("cut", [1, 5, 100, -3])
def test_truncated_or_corrupt_file_names_the_file(tmp_path, cut):
    path = str(tmp_path / "net.ckpt")
    ms.save_checkpoint(_params(), path)
    raw = open(path, "rb").read()
    bad = tmp_path / "cut.ckpt"
    bad.write_bytes(raw[:cut])
    with pytest.raises(ValueError, match="Failed to read the checkpoint file .*cut.ckpt"):
        ms.load_checkpoint(str(bad))
    bad.write_bytes(b"\xff" * 50)
    with pytest.raises(ValueError, match="Failed to read the checkpoint file .*cut.ckpt"):
        ms.load_checkpoint(str(bad))
    bad.write_bytes(b"")
    with pytest.raises(ValueError, match="cut.ckpt"):
        ms.load_checkpoint(str(bad))


def test_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="'save_obj' should be nn.Cell or list or dict"):
        ms.save_checkpoint(3, str(tmp_path / "x.ckpt"))
    with pytest.raises(TypeError, match="must be string"):
        ms.save_checkpoint([], 5)
    with pytest.raises(IsADirectoryError):
        ms.save_checkpoint([], str(tmp_path))
    with pytest.raises(ValueError, match="enc_key and crc_check"):
        ms.save_checkpoint([], str(tmp_path / "x.ckpt"), enc_key=b"0" * 16, crc_check=True)
    with pytest.raises(ValueError, match="does not exist"):
        ms.load_checkpoint(str(tmp_path / "none.ckpt"))
    with pytest.raises(ValueError, match="should end with '.ckpt' or '.safetensors'"):
        ms.load_checkpoint(str(tmp_path / "none.bin"))
    with pytest.raises(ValueError, match="`format` should be 'ckpt' or 'safetensors'"):
        ms.load_checkpoint(str(tmp_path / "none.ckpt"), format="npz")
    path = str(tmp_path / "p.ckpt")
    ms.save_checkpoint(_params(), path)
    with pytest.raises(ValueError, match="empty after filter or specify"):
        ms.load_checkpoint(path, specify_prefix="zzz")


def test_prefix_filters_and_choice_func(tmp_path):
    path = str(tmp_path / "p.ckpt")
    ms.save_checkpoint(_params(), path, choice_func=lambda n: n != "f64")
    assert "f64" not in ms.load_checkpoint(path)
    assert list(ms.load_checkpoint(path, specify_prefix=["i", "u8"])) == ["i8", "u8", "i16", "i32", "i64"]
    assert "f16" not in ms.load_checkpoint(path, filter_prefix="f1")
    assert list(ms.load_checkpoint(path, choice_func=lambda n: n.startswith("s"))) == ["scalar", "scalar_i"]


class _Net(nn.Cell):
    def __init__(self, dtype=np.float32):
        super().__init__()
        self.fc = nn.Dense(3, 2)
        self.extra = Parameter(Tensor(np.zeros(2, dtype)), name="extra")

    def construct(self, x):
        return self.fc(x)


def test_load_param_into_net(tmp_path, caplog):
    src, dst = _Net(), _Net()
    src.fc.weight.set_data(Tensor(np.full((2, 3), 2.0, np.float32)))
    params = {p.name: p for p in src.get_parameters()}
    params.pop("extra")
    params["unused"] = Parameter(Tensor(np.zeros(1, np.float32)), name="unused")
    with caplog.at_level(logging.WARNING, logger="minispore"):
        not_loaded, unused = ms.load_param_into_net(dst, params)
    assert not_loaded == ["extra"] and unused == ["unused"]
    assert "1 parameters in the 'net' are not loaded" in caplog.text
    assert np.array_equal(dst.fc.weight.asnumpy(), src.fc.weight.asnumpy())
    # a common name prefix in the checkpoint is found when strict_load=False
    prefixed = {"backbone." + p.name: p for p in src.get_parameters()}
    fresh = _Net()
    assert ms.load_param_into_net(fresh, prefixed) == ([], [])
    assert np.array_equal(fresh.fc.weight.asnumpy(), src.fc.weight.asnumpy())
    # same-kind dtype conversion unless strict_load; a shape mismatch is a RuntimeError
    half = {"extra": Parameter(Tensor(np.ones(2, np.float16)), name="extra")}
    ms.load_param_into_net(dst, half)
    assert dst.extra.asnumpy().dtype == np.float32 and list(dst.extra.asnumpy()) == [1, 1]
    with pytest.raises(RuntimeError, match="should have the same type"):
        ms.load_param_into_net(dst, half, strict_load=True)
    with pytest.raises(RuntimeError, match="should have the same type"):
        ms.load_param_into_net(dst, {"extra": Parameter(Tensor(np.ones(2, np.int32)), name="extra")})
    with pytest.raises(RuntimeError, match="should have the same shape"):
        ms.load_param_into_net(dst, {"extra": Parameter(Tensor(np.ones(3, np.float32)), name="extra")})
    with pytest.raises(TypeError, match="'net' should be a Cell"):
        ms.load_param_into_net({}, {})
    with pytest.raises(TypeError, match="'parameter_dict' should be a dict"):
        ms.load_param_into_net(dst, [])
    # load_checkpoint(net=...) loads too
    path = str(tmp_path / "src.ckpt")
    ms.save_checkpoint(src, path)
    other = _Net()
    ms.load_checkpoint(path, net=other)
    assert np.array_equal(other.fc.weight.asnumpy(), src.fc.weight.asnumpy())


def test_safetensors(tmp_path):
    from safetensors import safe_open

    params = [p for p in _params() if p.name != "empty"]
    path = str(tmp_path / "net")
    ms.save_checkpoint(params, path, format="safetensors", append_dict={"note": "x"}, crc_check=True)
    assert os.listdir(tmp_path) == ["net.safetensors"]
    with safe_open(str(tmp_path / "net.safetensors"), framework="np") as f:
        assert f.metadata()["format"] == "ms"
    got = ms.load_checkpoint(str(tmp_path / "net.safetensors"), format="safetensors", crc_check=True)
    for p in params:
        a = got[p.name].asnumpy()
        assert a.dtype == p.asnumpy().dtype and a.shape == p.shape and np.array_equal(a, p.asnumpy()), p.name
    assert got["note"] == "x"


def test_async_save_snapshots_values(tmp_path, monkeypatch):
    net = _Net()
    net.fc.weight.set_data(Tensor(np.full((2, 3), 1.0, np.float32)))
    gate = __import__("threading").Event()
    real = ckpt_mod._write_ckpt

    def slow(*args):
        gate.wait(10)
        return real(*args)

    monkeypatch.setattr(ckpt_mod, "_write_ckpt", slow)
    path = str(tmp_path / "a.ckpt")
    ms.save_checkpoint(net, path, async_save=True)
    net.fc.weight.set_data(Tensor(np.full((2, 3), 5.0, np.float32)))  # training goes on
    assert not os.path.exists(path)
    gate.set()
    got = ms.load_checkpoint(path)  # waits for the pending save
    assert np.all(got["fc.weight"].asnumpy() == 1.0)


def test_failed_save_leaves_old_file_and_no_temporary(tmp_path, monkeypatch):
    path = str(tmp_path / "a.ckpt")
    ms.save_checkpoint(_params(), path)
    before = open(path, "rb").read()

    def boom(entries):
        yield proto.checkpoint_value("x", [1], "Float32", b"\0\0\0\0")
        raise OSError("disk full")

    monkeypatch.setattr(ckpt_mod, "_ckpt_chunks", boom)
    with pytest.raises(OSError, match="disk full"):
        ms.save_checkpoint(_params(), path)
    assert os.listdir(tmp_path) == ["a.ckpt"] and open(path, "rb").read() == before


def test_stale_temporary_is_removed_by_next_save(tmp_path):
    path = tmp_path / "a.ckpt"
    (tmp_path / "a.ckpt.tmp").write_bytes(b"half a file")
    ms.save_checkpoint(_params(), str(path))
    assert os.listdir(tmp_path) == ["a.ckpt"]
