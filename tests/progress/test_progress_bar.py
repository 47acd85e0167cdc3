"""ProgressBar: a tqdm bar on a terminal (a pseudo-terminal here), MindSpore's plain lines on a pipe;
the long-compile line."""

import logging
import os
import re
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from minispore import nn
from minispore.amp import DynamicLossScaleManager
from minispore.nn.initializer import set_seed
from minispore.runtime import NumpySlicesDataset, compiler
from minispore.train import Model, ProgressBar

pty = pytest.importorskip("pty")

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

SCRIPT = textwrap.dedent("""
    import numpy as np
    from minispore import nn
    from minispore.train import Model, ProgressBar
    from minispore.amp import DynamicLossScaleManager
    import minispore.dataset as ds
    net = nn.Dense(4, 3)
    opt = nn.Momentum(net.trainable_params(), 0.05, 0.9)
    x = np.random.default_rng(0).random((48, 4)).astype(np.float32)
    y = (np.arange(48) % 3).astype(np.int32)
    data = ds.NumpySlicesDataset({"x": x, "y": y}, shuffle=False).batch(8)
    manager = DynamicLossScaleManager(init_loss_scale=1024.0) if SCALED else None
    kw = {"loss_scale_manager": manager} if manager else {}
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), opt, **kw)
    model.train(2, data, callbacks=[ProgressBar()])
    print("DONE", flush=True)
""")


def _run(scaled, use_pty):
    code = f"SCALED = {scaled}\n" + SCRIPT
    env = dict(os.environ, COLUMNS="160")
    if not use_pty:
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, timeout=300, cwd=ROOT)
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode()
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=slave, stderr=subprocess.PIPE, env=env, cwd=ROOT)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=300)
    os.close(master)
    assert proc.returncode == 0, proc.stderr.read().decode()
    return b"".join(chunks).decode(errors="replace")


def test_bar_on_a_terminal_shows_steps_eta_loss_lr_and_scale():
    out = _run(scaled=True, use_pty=True)
    assert "DONE" in out
    assert "\r" in out  # the bar redraws in place
    final = [seg for seg in re.split(r"[\r\n]+", out) if seg.startswith("Epoch 2/2: 6/6")]
    assert final, out
    line = final[-1]
    assert re.search(r"\|.*\| \d\d:\d\d<00:00, loss=\d+\.\d{4}, lr=0\.05, scale=\d+", line), line
    assert "epoch: 1 step:" not in out  # no plain lines on a terminal


def test_plain_lines_on_a_pipe():
    out = _run(scaled=False, use_pty=False)
    lines = out.splitlines()
    assert lines[-1] == "DONE" and "\r" not in out and "|" not in out
    body = lines[:-1]
    loss_lines = [ln for ln in body if ln.startswith("epoch:")]
    assert len(loss_lines) == 12
    assert all(re.match(r"^epoch: [12] step: [1-6], loss is \d+\.\d+(e-?\d+)?$", ln) for ln in loss_lines), body
    times = [ln for ln in body if ln.startswith("Train epoch time")]
    assert len(times) == 2
    assert all(re.match(r"^Train epoch time: \d+\.\d{3} ms, per step time: \d+\.\d{3} ms$", ln) for ln in times)


def _model(manager=None):
    set_seed(0)
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = rng.normal(size=(40, 1)).astype(np.float32)
    net = nn.Dense(3, 1)
    opt = nn.SGD(net.trainable_params(), learning_rate=0.01)
    kw = {"loss_scale_manager": manager} if manager else {}
    data = NumpySlicesDataset((x, y), column_names=["x", "y"], shuffle=False).batch(4)
    return Model(net, nn.MSELoss(), opt, **kw), data


def test_plain_lines_every_per_print_times_and_fit_results(capsys):
    model, data = _model()
    model.train(1, data, callbacks=ProgressBar(per_print_times=4, dynamic=False))
    steps = [ln.split(",")[0] for ln in capsys.readouterr().out.splitlines() if ln.startswith("epoch")]
    assert steps == ["epoch: 1 step: 4", "epoch: 1 step: 8", "epoch: 1 step: 10"]  # and the epoch's last step
    model2 = Model(model.predict_network, nn.MSELoss(), nn.SGD(model.predict_network.trainable_params(), 0.01),
                   metrics={"mae"})
    model2.fit(1, data, data, callbacks=ProgressBar(per_print_times=0, dynamic=False))
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 2 and out[0].startswith("Train epoch time")
    assert out[1].startswith("Eval result: epoch 1, metrics: {'mae':")


def test_bar_to_a_file_object_with_loss_scale():
    import io

    buf = io.StringIO()
    model, data = _model(DynamicLossScaleManager(init_loss_scale=64.0))
    model.train(1, data, callbacks=ProgressBar(file=buf, dynamic=True))
    text = buf.getvalue()
    assert "Epoch 1/1: 10/10" in text and "scale=" in text and "lr=0.01" in text


def test_progress_bar_arguments():
    with pytest.raises(TypeError, match="dynamic"):
        ProgressBar(dynamic="yes")
    with pytest.raises(ValueError, match="per_print_times"):
        ProgressBar(per_print_times=-1)


def test_long_compile_line(monkeypatch, caplog):
    caplog.set_level(logging.WARNING, logger="minispore")
    monkeypatch.setattr(compiler, "LONG_COMPILE_SECONDS", 0.0)
    model, data = _model()
    model.train(1, data)
    messages = [r.getMessage() for r in caplog.records if r.name == "minispore"]
    first = r"^minispore: compiling TrainOneStepCell \(first call\) \.\.\.$"
    assert any(re.match(first, m) for m in messages), messages
    assert any(re.match(r"^minispore: compiled TrainOneStepCell in \d+\.\d s \(first run", m) for m in messages)
    caplog.clear()
    monkeypatch.setattr(compiler, "LONG_COMPILE_SECONDS", 60.0)  # a fast compile says nothing
    model, data = _model()
    model.train(1, data)
    assert not [r for r in caplog.records if "compiling" in r.getMessage()]
