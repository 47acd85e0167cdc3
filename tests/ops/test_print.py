"""ops.Print / ops.print_: a host call inside the compiled step, at its place in graph order."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.backends.lower import LaunchKind, schedule


class PrintDemo(nn.Cell):
    def __init__(self):
        super().__init__()
        self.print = ops.Print()

    def construct(self, x, y):
        z = x * 2
        self.print("Print Tensor x and Tensor y:", x, y, (z, 7))
        return z + 1


EXPECTED = """Print Tensor x and Tensor y:
Tensor(shape=[2, 1], dtype=Int32, value=
[[1],
 [1]])
Tensor(shape=[2, 2], dtype=Float32, value=
[[1., 1.],
 [1., 1.]])
Tensor(shape=[2, 1], dtype=Int32, value=
[[2],
 [2]])
Tensor(shape=[], dtype=Int64, value=
7)
"""


def _inputs():
    return Tensor(np.ones((2, 1), np.int32)), Tensor(np.ones((2, 2), np.float32))


@pytest.mark.parametrize("executor", ["compiled", "reference"])
def test_print_runs_inside_the_step_every_call(capsys, executor):
    ms.set_context(executor=executor)
    try:
        net = PrintDemo()
        for _ in range(2):
            out = net(*_inputs())
            np.testing.assert_array_equal(out.asnumpy(), [[3], [3]])
            assert capsys.readouterr().out == EXPECTED
    finally:
        ms.set_context(executor="compiled")


def test_print_is_a_host_launch_kept_as_an_effect():
    net = PrintDemo()
    net(*_inputs())
    sched = schedule(net.compiled_graph())
    hosts = [launch for launch in sched.launches if launch.kind is LaunchKind.HOST]
    assert [launch.node.op for launch in hosts] == ["Print"]
    assert "Print" in net._compile_cache.last.plan.source


def test_print_outside_a_cell_prints_now(capsys):
    ops.print_("eager", Tensor(np.float32([1.5])))
    assert capsys.readouterr().out == "eager\nTensor(shape=[1], dtype=Float32, value=\n[1.5])\n"


def test_print_rejects_other_objects():
    with pytest.raises(TypeError, match=r"For 'Print', the inputs must be Tensor.*but got dict"):
        ops.print_({"a": 1})
