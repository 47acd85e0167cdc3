"""The compiler around a training step: passes keep results identical, compiles are cached per input
signature (and across processes), recompiles are logged with their reason, and dumps are written."""

import logging
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn

from golden.helpers import case_files, load
from golden.networks import NETWORKS
from golden.training import build_training

VARIANTS = [(), ("multi_tensor",), ("memory_plan",), ("fuse_elementwise", "multi_tensor", "memory_plan")]


def _train_golden(path, disabled):
    """The golden training case run with the given passes disabled: (losses, final params, graph)."""
    case = load(path)
    ms.set_context(disabled_passes=disabled)
    try:
        net = NETWORKS[case["name"]]()
        train, _, x, y = build_training(case, net)
        losses = [train(x, y).asnumpy() for _ in range(case["kwargs"]["steps"])]
        return losses, [p.asnumpy() for p in net.trainable_params()], train.compiled_graph()
    finally:
        ms.set_context(disabled_passes=())


@pytest.mark.parametrize("path", case_files("train"), ids=lambda p: os.path.basename(p)[:-5])
def test_fusion_and_memory_planning_keep_results_identical(path):
    reference = _train_golden(path, VARIANTS[-1])
    assert not any(n.op in ("FusedElementwise", "MultiTensorFused") for n in reference[2].nodes)
    for disabled in VARIANTS[:-1]:
        losses, params, graph = _train_golden(path, disabled)
        fused = {n.op for n in graph.nodes} & {"FusedElementwise", "MultiTensorFused"}
        assert fused and ("MultiTensorFused" in fused) == ("multi_tensor" not in disabled)
        for a, b in zip(losses, reference[0]):
            np.testing.assert_array_equal(a, b)  # bit-identical, not just close
        for a, b in zip(params, reference[1]):
            np.testing.assert_array_equal(a, b)


class _Tiny(nn.Cell):
    def __init__(self):
        super().__init__()
        self.fc = nn.Dense(3, 2)

    def construct(self, x):
        return self.fc(x)


def test_new_batch_size_recompiles_once_and_logs_the_reason(caplog):
    net = _Tiny()
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.SGD(net.trainable_params(), 0.1))
    with caplog.at_level(logging.INFO, logger="minispore"):
        for batch in (4, 4, 8, 8, 4):
            train(Tensor(np.ones((batch, 3), np.float32)), Tensor(np.zeros((batch, 2), np.float32)))
    compiles = [r.getMessage() for r in caplog.records if r.getMessage().startswith("compiled TrainOneStepCell")]
    assert len(compiles) == 2
    assert "first call" in compiles[0]
    assert "new input signature [([8, 3], 'float32'), ([8, 2], 'float32')]" in compiles[1]
    assert "was [([4, 3], 'float32'), ([4, 2], 'float32')]" in compiles[1]
    for phase in ("trace+autodiff", "passes", "codegen", "arena"):
        assert phase in compiles[0]
    assert any(r.getMessage().startswith("first run of TrainOneStepCell: ") for r in caplog.records)
    assert len(train._compile_cache.entries) == 2


_SCRIPT = textwrap.dedent("""
    import logging, sys
    import numpy as np
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stdout)
    import minispore as ms
    from minispore import Tensor, nn
    ms.set_context(compile_cache_dir=sys.argv[1])
    net = nn.Dense(3, 2)
    train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Momentum(net.trainable_params(), 0.1, 0.9))
    print("loss", float(train(Tensor(np.ones((4, 3), np.float32)), Tensor(np.zeros((4, 2), np.float32))).asnumpy()))
""")


def test_second_process_starts_from_the_compile_cache(tmp_path):
    script = tmp_path / "train_once.py"
    script.write_text(_SCRIPT)
    cache = tmp_path / "cache"
    runs = [subprocess.run([sys.executable, str(script), str(cache)], capture_output=True, text=True, timeout=600)
            for _ in range(2)]
    for r in runs:
        assert r.returncode == 0, r.stderr
    first = [line for line in runs[0].stdout.splitlines() if line.startswith("first run")][0]
    second = [line for line in runs[1].stdout.splitlines() if line.startswith("first run")][0]
    assert "(0 kernels compiled" not in first  # the cold process compiled its kernels ...
    assert "(0 kernels compiled" in second  # ... and the warm one loaded every kernel from numba's cache
    assert ", 0 loaded from cache" not in second
    assert runs[0].stdout.split("loss")[1] == runs[1].stdout.split("loss")[1]
    assert any(f.startswith("kernels_") for f in os.listdir(cache))
    assert any(f.startswith("plan_") for f in os.listdir(cache))


def test_graph_dumps_have_passes_source_lines_and_summary(tmp_path):
    ms.set_context(save_graphs=True, save_graphs_path=str(tmp_path))
    try:
        net = _Tiny()
        model_train = nn.TrainOneStepCell(nn.WithLossCell(net, nn.MSELoss()), nn.Adam(net.trainable_params()))
        model_train(Tensor(np.ones((4, 3), np.float32)), Tensor(np.zeros((4, 2), np.float32)))
    finally:
        ms.set_context(save_graphs=False)
    files = sorted(os.listdir(tmp_path))
    ir = [f for f in files if f.endswith(".ir")]
    assert any("00_traced" in f for f in ir) and any("fuse_elementwise" in f for f in ir)
    traced = (tmp_path / [f for f in ir if "00_traced" in f][0]).read_text()
    assert "test_compiler.py:" in traced and "model_train(Tensor" in traced  # the user's file:line and text
    assert "Default/network-WithLossCell/_backbone-_Tiny/fc-Dense" in traced
    summary = (tmp_path / [f for f in files if f.endswith("summary.txt")][0]).read_text()
    assert "MFLOP per step" in summary and "fused kernels:" in summary and "arena" in summary
    assert any(f.endswith("final.dot") for f in files) and any(f.endswith("plan.py") for f in files)
    assert "def step(P, X, C, B):" in (tmp_path / [f for f in files if f.endswith("plan.py")][0]).read_text()
