"""CheckpointConfig's validation and ModelCheckpoint through Model.train: file names, prefix_1, rotation
by keep_checkpoint_max, the final save at the end, append_info; a saved file resumes training."""

import os

import numpy as np
import pytest

import minispore as ms
from minispore import nn, ops
from minispore.nn.initializer import set_seed
from minispore.runtime import Model, NumpySlicesDataset
from minispore.train import CheckpointConfig, ModelCheckpoint


class MSELoss(nn.Cell):
    def construct(self, pred, target):
        return ops.reduce_mean(ops.square(pred - target))


def regression(batches=5, batch_size=4):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(batches * batch_size, 3)).astype(np.float32)
    y = (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)
    set_seed(0)
    net = nn.Dense(3, 1)
    opt = nn.Momentum(net.trainable_params(), learning_rate=0.05, momentum=0.9)
    data = NumpySlicesDataset((x, y), column_names=["x", "y"], shuffle=False).batch(batch_size)
    return Model(net, MSELoss(), opt), data, net


def test_config_validation():
    with pytest.raises(ValueError, match="can't be all None or 0"):
        CheckpointConfig(save_checkpoint_steps=0, save_checkpoint_seconds=0, keep_checkpoint_max=0,
                         keep_checkpoint_per_n_minutes=0)
    with pytest.raises(ValueError, match="must be int and >= 0"):
        CheckpointConfig(save_checkpoint_steps=-1)
    with pytest.raises(TypeError, match="must be int"):
        CheckpointConfig(keep_checkpoint_max=1.5)
    with pytest.raises(ValueError, match=r"must be in \['epoch_num', 'step_num'\]"):
        CheckpointConfig(append_info=["epoch"])
    with pytest.raises(TypeError, match="only one dict"):
        CheckpointConfig(append_info=[{"a": 1}, {"b": 2}])
    cfg = CheckpointConfig(save_checkpoint_steps=2, save_checkpoint_seconds=10, keep_checkpoint_max=3,
                           keep_checkpoint_per_n_minutes=1, append_info=["epoch_num", {"lr": 0.1}])
    assert cfg.save_checkpoint_seconds is None and cfg.keep_checkpoint_per_n_minutes is None  # steps/max win
    assert cfg.append_dict == {"epoch_num": 0, "lr": 0.1}
    with pytest.raises(ValueError, match="does not contain '/'"):
        ModelCheckpoint(prefix="a/b")
    with pytest.raises(TypeError, match="CheckpointConfig"):
        ModelCheckpoint(config={})


def test_model_checkpoint_names_rotation_and_end(tmp_path):
    model, data, _ = regression(batches=5)
    cfg = CheckpointConfig(save_checkpoint_steps=2, keep_checkpoint_max=3, append_info=["epoch_num", "step_num"])
    cb = ModelCheckpoint(prefix="net", directory=str(tmp_path), config=cfg)
    model.train(2, data, callbacks=cb)  # saves at steps 2, 4, 6, 8, 10 (= epoch 2 step 5); keeps the last 3
    assert sorted(os.listdir(tmp_path)) == ["net-2_1.ckpt", "net-2_3.ckpt", "net-2_5.ckpt"]
    assert cb.latest_ckpt_file_name == os.path.join(str(tmp_path), "net-2_5.ckpt")
    got = ms.load_checkpoint(cb.latest_ckpt_file_name)
    assert int(got["epoch_num"].asnumpy()) == 2 and int(got["step_num"].asnumpy()) == 10
    assert int(got["global_step"].asnumpy()[0]) == 10 and "moments.weight" in got
    # a second run with the same prefix writes net_1-*; the end of training saves the last step
    model2, data2, _ = regression(batches=5)
    cb2 = ModelCheckpoint(prefix="net", directory=str(tmp_path), config=CheckpointConfig(save_checkpoint_steps=4))
    model2.train(1, data2, callbacks=cb2)
    assert sorted(f for f in os.listdir(tmp_path) if f.startswith("net_1")) == ["net_1-1_4.ckpt", "net_1-1_5.ckpt"]


def test_resume_from_model_checkpoint_matches_straight_training(tmp_path):
    model, data, net = regression(batches=5)
    cb = ModelCheckpoint(prefix="r", directory=str(tmp_path), config=CheckpointConfig(save_checkpoint_steps=5))
    model.train(1, data, callbacks=cb)
    model.train(1, data)  # the second epoch, straight on
    straight = {p.name: p.asnumpy() for p in net.trainable_params()}
    model2, data2, net2 = regression(batches=5)
    assert ms.load_param_into_net(model2.train_network, ms.load_checkpoint(str(tmp_path / "r-1_5.ckpt"))) == ([], [])
    model2.train(1, data2)
    for p in net2.trainable_params():
        np.testing.assert_array_equal(p.asnumpy(), straight[p.name])


class _FailAtStep(ms.train.Callback):
    def __init__(self, step, error):
        self.step, self.error = step, error

    def step_end(self, run_context):
        if run_context.original_args().cur_step_num == self.step:
            raise self.error


@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), KeyboardInterrupt()])
def test_exception_save_writes_a_breakpoint_file_and_reraises(tmp_path, error):
    model, data, net = regression(batches=5)
    cfg = CheckpointConfig(save_checkpoint_steps=2, keep_checkpoint_max=2, exception_save=True,
                           append_info=["step_num"])
    cb = ModelCheckpoint(prefix="net", directory=str(tmp_path), config=cfg)
    with pytest.raises(type(error)):
        model.train(2, data, callbacks=[cb, _FailAtStep(8, error)])  # dies after epoch 2's third step
    assert sorted(os.listdir(tmp_path)) == ["net-2_1.ckpt", "net-2_3.ckpt", "net-2_3_breakpoint.ckpt"]
    saved = ms.load_checkpoint(str(tmp_path / "net-2_3_breakpoint.ckpt"))
    assert int(saved["step_num"].asnumpy()) == 8 and int(saved["global_step"].asnumpy()[0]) == 8
    for p in net.trainable_params():
        np.testing.assert_array_equal(saved[p.name].asnumpy(), p.asnumpy())
    # a second failure with that prefix: MindSpore numbers breakpoint files on their own (net_1-..._breakpoint)
    model2, data2, _ = regression(batches=5)
    cb2 = ModelCheckpoint(prefix="net", directory=str(tmp_path), config=cfg)
    with pytest.raises(type(error)):
        model2.train(1, data2, callbacks=[cb2, _FailAtStep(1, error)])
    assert "net_1-1_1_breakpoint.ckpt" in os.listdir(tmp_path)


def test_no_breakpoint_file_without_exception_save(tmp_path):
    model, data, _ = regression(batches=5)
    cb = ModelCheckpoint(prefix="net", directory=str(tmp_path), config=CheckpointConfig(save_checkpoint_steps=10))
    with pytest.raises(RuntimeError):
        model.train(1, data, callbacks=[cb, _FailAtStep(2, RuntimeError("x"))])
    assert os.listdir(tmp_path) == []


def test_keep_checkpoint_per_n_minutes_follows_mindspore(tmp_path, monkeypatch):
    """A fake clock 20 s per step, one save a step, keep one file per minute: before each save, of the files
    written in the last minute only the oldest stays, unless a minute passed since the window began (then a
    new window starts). Worked by hand from MindSpore's keep_one_ckpoint_per_minutes."""
    import types

    from minispore.runtime.checkpoint import callback as callback_module

    clock = [0.0]
    monkeypatch.setattr(callback_module, "time", types.SimpleNamespace(time=lambda: clock[0]))

    class Clock(ms.train.Callback):
        def __init__(self, ckpt):
            self.ckpt = ckpt

        def step_begin(self, run_context):
            clock[0] += 20

        def step_end(self, run_context):  # files get the fake clock's mtime
            os.utime(self.ckpt.latest_ckpt_file_name, (clock[0], clock[0]))

    model, data, _ = regression(batches=8, batch_size=2)
    cfg = CheckpointConfig(save_checkpoint_steps=1, keep_checkpoint_max=0, keep_checkpoint_per_n_minutes=1)
    assert cfg.keep_checkpoint_max == 0 and cfg.keep_checkpoint_per_n_minutes == 1
    cb = ModelCheckpoint(prefix="m", directory=str(tmp_path), config=cfg)
    model.train(1, data, callbacks=[cb, Clock(cb)])
    kept = sorted(int(f.split("_")[1].split(".")[0]) for f in os.listdir(tmp_path))
    assert kept == [1, 2, 4, 5, 7, 8]


def test_unusable_checkpoint_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(OSError, match="checkpoint directory .*a-file/ckpt cannot be created"):
        ModelCheckpoint(directory=str(blocker / "ckpt"))


def test_full_disk_during_a_save_names_the_file_and_keeps_earlier_ones(tmp_path, monkeypatch):
    import errno

    from minispore.runtime.checkpoint import ckpt as ckpt_module

    model, data, _ = regression(batches=5)
    cb = ModelCheckpoint(prefix="f", directory=str(tmp_path), config=CheckpointConfig(save_checkpoint_steps=2))
    real_fsync, calls = os.fsync, []

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").endswith(".ckpt.tmp"):
            calls.append(fd)
            if len(calls) == 2:  # the second save: the disk is full
                raise OSError(errno.ENOSPC, "No space left on device")
        return real_fsync(fd)

    monkeypatch.setattr(ckpt_module.os, "fsync", fsync)
    with pytest.raises(OSError, match=r"saving .*f-1_4.ckpt failed \(No space left on device\)"):
        model.train(1, data, callbacks=cb)
    assert sorted(os.listdir(tmp_path)) == ["f-1_2.ckpt"]  # no temporary file left, the earlier file whole
    assert int(ms.load_checkpoint(str(tmp_path / "f-1_2.ckpt"))["global_step"].asnumpy()[0]) == 2
