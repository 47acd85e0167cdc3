"""The communication API and the auto-parallel context in a world of one (no mpiexec): defaults, MindSpore's
errors for bad values, the reducer's insertion and buckets, and a data-parallel step that equals the
stand-alone step when the world is one process."""

import numpy as np
import pytest

import minispore as ms
from minispore import communication, nn
from minispore.nn.distributed import plan_buckets


@pytest.fixture(autouse=True)
def _fresh_context():
    ms.reset_auto_parallel_context()
    yield
    ms.reset_auto_parallel_context()
    communication.release()


def test_a_script_without_mpiexec_is_a_world_of_one():
    communication.init()
    assert communication.GlobalComm.INITED
    assert (communication.get_rank(), communication.get_group_size(), communication.get_local_rank()) == (0, 1, 0)
    from minispore.communication.management import get_rank  # MindSpore's older path  # noqa: PLC0415
    assert get_rank() == 0
    communication.release()
    with pytest.raises(RuntimeError, match="not initialized"):
        communication.get_rank()


def test_init_and_group_arguments_are_checked():
    with pytest.raises(TypeError, match="backend_name"):
        communication.init(3)
    with pytest.raises(RuntimeError, match="backend_name"):
        communication.init("gloo")
    communication.init("nccl")  # MindSpore's names run on MPI
    with pytest.raises(TypeError, match="group"):
        communication.get_group_size(group=1)
    with pytest.raises(ValueError, match="one communication group"):
        communication.get_rank("other_group")


def test_context_defaults_and_round_trip():
    get = ms.get_auto_parallel_context
    assert (get("parallel_mode"), get("gradients_mean"), get("device_num")) == ("stand_alone", False, 1)
    assert get("comm_fusion") == {"allreduce": {"mode": "auto", "config": 64}}
    ms.set_auto_parallel_context(parallel_mode=ms.ParallelMode.DATA_PARALLEL, gradients_mean=True, device_num=4,
                                 all_reduce_fusion_config=[2, 5])
    assert (get("parallel_mode"), get("gradients_mean"), get("device_num")) == ("data_parallel", True, 4)
    assert get("all_reduce_fusion_config") == [2, 5]
    assert get("comm_fusion") == {"allreduce": {"mode": "index", "config": [2, 5]}}
    ms.set_auto_parallel_context(comm_fusion={"allreduce": {"mode": "size", "config": 32}})
    assert get("comm_fusion") == {"allreduce": {"mode": "size", "config": 32}}
    ms.reset_auto_parallel_context()
    assert get("parallel_mode") == "stand_alone" and get("device_num") == 1


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(parallel_mode="model_parallel"), ValueError, "only support 'stand_alone', 'data_parallel'"),
    (dict(parallel_mode="semi_auto_parallel"), ValueError, "minispore runs 'stand_alone' and 'data_parallel'"),
    (dict(parallel_mode=1), TypeError, "'parallel_mode' must be str"),
    (dict(gradients_mean=1), TypeError, "'gradients_mean' must be bool"),
    (dict(device_num=0), ValueError, r"'device_num' must be in \[1, 4096\]"),
    (dict(device_num=4097), ValueError, r"'device_num' must be in \[1, 4096\]"),
    (dict(all_reduce_fusion_config=[]), ValueError, "can not be empty"),
    (dict(all_reduce_fusion_config=[3, 1]), ValueError, "ascending order"),
    (dict(all_reduce_fusion_config=[1, 1]), ValueError, "duplicate"),
    (dict(all_reduce_fusion_config=(1,)), TypeError, "must be list"),
    (dict(comm_fusion={"allreduce": {"mode": "fast", "config": 1}}), KeyError, "auto, index or size"),
    (dict(comm_fusion={"allreduce": {"config": 1}}), KeyError, "'mode' should be contained"),
    (dict(comm_fusion={"allreduce": {"mode": "size", "config": -1}}), ValueError, "larger than 0"),
    (dict(comm_fusion={"broadcast": {}}), KeyError, "comm fusion type"),
    (dict(pipeline_stagez=2), ValueError, "is not recognized"),
])
def test_bad_values_raise_mindspores_errors(kwargs, error, match):
    with pytest.raises(error, match=match):
        ms.set_auto_parallel_context(**kwargs)
    assert ms.get_auto_parallel_context("parallel_mode") == "stand_alone"  # nothing was set


def test_get_of_an_unknown_key():
    with pytest.raises(ValueError, match="is not supported"):
        ms.get_auto_parallel_context("no_such_key")


def test_buckets_follow_names_and_the_fusion_config():
    names = ["fc2.w", "fc1.w", "fc1.b", "fc2.b"]
    nbytes = [4 * 2**20, 4 * 2**20, 4, 4]
    assert plan_buckets(names, nbytes, {"mode": "auto", "config": 64}) == [[2, 1, 3, 0]]  # one bucket, by name
    assert plan_buckets(names, nbytes, {"mode": "size", "config": 5}) == [[2, 1, 3], [0]]
    assert plan_buckets(names, nbytes, {"mode": "size", "config": 0}) == [[2], [1], [3], [0]]
    assert plan_buckets(names, nbytes, {"mode": "index", "config": [2]}) == [[1, 0], [2, 3]]
    assert plan_buckets(names, nbytes, {"mode": "auto", "config": 64}, fusion_type=0) == [[2], [1], [3], [0]]
    with pytest.raises(ValueError, match="unique"):
        plan_buckets(["w", "w"], [4, 4], {"mode": "auto", "config": 64})


def test_reducer_arguments_are_checked():
    params = [ms.Parameter(np.zeros(2, np.float32), name="w")]
    with pytest.raises(ValueError, match="degree must be a positive integer"):
        nn.DistributedGradReducer(params, degree=0)
    with pytest.raises(TypeError, match="'mean' must be bool"):
        nn.DistributedGradReducer(params, mean=1)
    ms.set_auto_parallel_context(gradients_mean=True, device_num=8)
    reducer = nn.DistributedGradReducer(params)
    assert (reducer.mean, reducer.degree) == (True, 8)


def _train(parallel, loss_scale):
    ms.reset_auto_parallel_context()
    if parallel:
        ms.set_auto_parallel_context(parallel_mode="data_parallel", gradients_mean=True)
    ms.set_seed(3)
    net = nn.Dense(4, 2)
    opt = nn.Momentum(net.trainable_params(), 0.1, 0.9)
    with_loss = nn.WithLossCell(net, nn.MSELoss())
    step = nn.TrainOneStepWithLossScaleCell(with_loss, opt, nn.FixedLossScaleUpdateCell(128.0)) if loss_scale \
        else nn.TrainOneStepCell(with_loss, opt)
    assert (step.grad_reducer is not None) == parallel
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 4)).astype(np.float32), rng.standard_normal((6, 2)).astype(np.float32)
    losses = [step(ms.Tensor(x), ms.Tensor(y)) for _ in range(3)]
    losses = [float((v[0] if isinstance(v, tuple) else v).asnumpy()) for v in losses]
    return losses, net.weight.asnumpy(), step


@pytest.mark.parametrize("loss_scale", [False, True])
def test_data_parallel_in_a_world_of_one_is_the_stand_alone_step(loss_scale):
    communication.init()
    want_losses, want_w, _ = _train(False, loss_scale)
    losses, w, step = _train(True, loss_scale)
    np.testing.assert_allclose(losses, want_losses, rtol=1e-6)
    np.testing.assert_allclose(w, want_w, rtol=1e-6)
    assert "AllReduce" in str(step.compiled_graph())  # the reducer is in the compiled step


def test_a_rank_of_an_mpi_job_without_init_is_told_to_call_it(monkeypatch):
    """Started by mpiexec but init() never called: the all-reduce refuses rather than let each rank train alone."""
    monkeypatch.setenv("PMI_RANK", "0")
    with pytest.raises(RuntimeError, match=r"init\(\) was not called"):
        ms.ops.AllReduce()(ms.Tensor(np.ones(3, np.float32)))
    monkeypatch.delenv("PMI_RANK")
    np.testing.assert_array_equal(ms.ops.AllReduce()(ms.Tensor(np.ones(3, np.float32))).asnumpy(), np.ones(3))
