"""Model.train/eval/predict/fit on tiny Dense networks, and the metrics against numpy."""

import numpy as np
import pytest

import minispore as ms
from minispore import Tensor, nn, ops
from minispore.nn.initializer import set_seed
from minispore.runtime import (
    MAE,
    MSE,
    Accuracy,
    Callback,
    History,
    Loss,
    LossMonitor,
    Model,
    NumpySlicesDataset,
    Top1CategoricalAccuracy,
    Top5CategoricalAccuracy,
    TopKCategoricalAccuracy,
    get_metric_fn,
)
from minispore.runtime import model as model_module


class OneHotCE(nn.Cell):
    """Softmax cross entropy against one-hot labels, averaged over the batch."""

    def construct(self, logits, onehot):
        return -ops.reduce_mean(ops.reduce_sum(onehot * ops.log_softmax(logits, -1), -1))


class MSELoss(nn.Cell):
    def construct(self, pred, target):
        return ops.reduce_mean(ops.square(pred - target))


def classification_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    y = (x @ rng.normal(size=(4, 3))).argmax(1)
    return x, np.eye(3, dtype=np.float32)[y]


def classifier(lr=0.1):
    set_seed(1)
    net = nn.Dense(4, 3)
    return net, nn.Momentum(net.trainable_params(), lr, 0.9)


def test_train_lowers_the_loss_and_eval_reports_metrics():
    x, onehot = classification_data()
    data = NumpySlicesDataset((x, onehot), column_names=["x", "y"], shuffle=False).batch(16)
    net, opt = classifier()
    model = Model(net, OneHotCE(), opt, metrics={"accuracy", "loss"})
    before = model.eval(data)
    model.train(5, data)
    after = model.eval(data)
    assert set(after) == {"accuracy", "loss"}
    assert after["loss"] < 0.6 * before["loss"] and after["accuracy"] > before["accuracy"]
    assert int(opt.global_step.asnumpy()[0]) == 5 * 4
    # eval numbers agree with numpy on predict's logits
    logits = model.predict(Tensor(x)).asnumpy()
    assert after["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == onehot.argmax(1)))
    logp = logits - logits.max(1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(1, keepdims=True))
    per_batch = [-(onehot[i:i + 16] * logp[i:i + 16]).sum(1).mean() for i in range(0, 64, 16)]
    assert after["loss"] == pytest.approx(np.mean(per_batch), rel=1e-5)


def test_one_sgd_step_matches_numpy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    t = rng.normal(size=(8, 2)).astype(np.float32)
    set_seed(0)
    net = nn.Dense(3, 2)
    w, b = net.weight.asnumpy(), net.bias.asnumpy()
    model = Model(net, MSELoss(), nn.SGD(net.trainable_params(), learning_rate=0.5))
    model.train(1, NumpySlicesDataset((x, t), shuffle=False).batch(8))
    err = x @ w.T + b - t
    scale = 2.0 / err.size
    np.testing.assert_allclose(net.weight.asnumpy(), w - 0.5 * scale * err.T @ x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(net.bias.asnumpy(), b - 0.5 * scale * err.sum(0), rtol=1e-5, atol=1e-6)


def test_network_returning_the_loss_with_optimizer_only():
    x, onehot = classification_data()
    net, opt = classifier()
    model = Model(nn.WithLossCell(net, OneHotCE()), optimizer=opt)
    assert isinstance(model.train_network, nn.TrainOneStepCell)
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(32)
    hist = History()
    model.train(4, data, callbacks=hist)
    assert hist.history["net_output"][-1] < hist.history["net_output"][0]


def test_predict_shape_and_networks():
    net, opt = classifier()
    model = Model(net, OneHotCE(), opt, metrics={"acc"})
    out = model.predict(Tensor(np.zeros((5, 4), np.float32)))
    assert isinstance(out, Tensor) and out.shape == (5, 3)
    assert model.predict_network is net and not net.training
    assert isinstance(model.eval_network, nn.WithEvalCell)
    with pytest.raises(TypeError, match="predict"):
        model.predict(object())


def test_amp_levels_and_managers_build_their_training_cells():
    """Model routes amp_level and the manager through amp.build_train_network: O2 brings a dynamic loss
    scale (TrainOneStepWithLossScaleCell); a fixed scale without dropping becomes TrainOneStepCell's sens;
    'auto' is not available on CPU, as in MindSpore."""
    net, opt = classifier()
    assert isinstance(Model(net, OneHotCE(), opt, amp_level="O2").train_network, nn.TrainOneStepWithLossScaleCell)
    net, opt = classifier()
    assert isinstance(Model(net, OneHotCE(), opt, amp_level="O3").train_network, nn.TrainOneStepCell)
    net, opt = classifier()
    with pytest.raises(ValueError, match="Level `auto` only support when `device_target` is GPU or Ascend"):
        Model(net, OneHotCE(), opt, amp_level="auto")
    net, opt = classifier()
    model = Model(net, OneHotCE(), opt, loss_scale_manager=ms.amp.FixedLossScaleManager(8.0, False))
    assert isinstance(model.train_network, nn.TrainOneStepCell) and model.train_network.sens == 8.0


def test_predict_accepts_and_ignores_backend_and_config():
    net, opt = classifier()
    model = Model(net, OneHotCE(), opt)
    x = Tensor(np.ones((2, 4), np.float32))
    np.testing.assert_array_equal(model.predict(x, backend="lite", config={"a": 1}).asnumpy(),
                                  model.predict(x).asnumpy())


def test_sink_mode_on_cpu_runs_the_per_step_loop(capsys):
    """MindSpore's CPU build has no dataset sink: sink mode gives the same steps, prints and numbers."""
    x, onehot = classification_data()

    def run(sink):
        net, opt = classifier()
        data = NumpySlicesDataset((x, onehot), shuffle=False).batch(16)
        Model(net, OneHotCE(), opt).train(2, data, callbacks=LossMonitor(), dataset_sink_mode=sink, sink_size=3)
        return net.weight.asnumpy(), capsys.readouterr().out

    (w_sink, out_sink), (w_plain, out_plain) = run(True), run(False)
    np.testing.assert_array_equal(w_sink, w_plain)
    assert out_sink == out_plain and len(out_sink.splitlines()) == 8


def test_sink_mode_on_sink_targets(monkeypatch, capsys):
    """On GPU/Ascend an epoch is one sink: sink_size steps (spanning dataset epochs), callbacks once."""
    monkeypatch.setattr(model_module, "_sink_supported", lambda: True)
    x, onehot = classification_data()
    net, opt = classifier()
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(16)
    seen = []

    class Steps(Callback):
        def on_train_step_end(self, run_context):
            cb = run_context.original_args()
            seen.append((cb.cur_epoch_num, cb.cur_step_num, cb.batch_num))

    Model(net, OneHotCE(), opt).train(3, data, callbacks=[Steps(), LossMonitor()], dataset_sink_mode=True,
                                      sink_size=3)
    assert seen == [(1, 3, 3), (2, 6, 3), (3, 9, 3)]
    assert int(opt.global_step.asnumpy()[0]) == 9
    lines = capsys.readouterr().out.splitlines()
    assert [ln.split(",")[0] for ln in lines] == ["epoch: 1 step: 3", "epoch: 2 step: 3", "epoch: 3 step: 3"]
    net2, opt2 = classifier()
    Model(net2, OneHotCE(), opt2).train(2, data, dataset_sink_mode=True)  # sink_size -1: the whole dataset
    assert int(opt2.global_step.asnumpy()[0]) == 8


def test_dynamic_lr_too_short_fails_before_training():
    x, onehot = classification_data()
    set_seed(1)
    net = nn.Dense(4, 3)
    opt = nn.Momentum(net.trainable_params(), [0.1] * 6, 0.9)
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(16)
    with pytest.raises(ValueError, match="has 6 values, but training runs 8 steps"):
        Model(net, OneHotCE(), opt).train(2, data)
    assert int(opt.global_step.asnumpy()[0]) == 0
    Model(net, OneHotCE(), opt).train(1, data)
    with pytest.raises(ValueError, match="from global_step 4"):
        Model(net, OneHotCE(), opt).train(1, data)


def test_initial_epoch():
    x, onehot = classification_data()
    net, opt = classifier()
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(32)
    epochs = []

    class Epochs(Callback):
        def epoch_end(self, run_context):
            cb = run_context.original_args()
            epochs.append((cb.cur_epoch_num, cb.cur_step_num))

    Model(net, OneHotCE(), opt).train(4, data, callbacks=[Epochs()], initial_epoch=2)
    assert epochs == [(3, 6), (4, 8)]


def test_fit_evaluates_each_epoch(capsys):
    x, onehot = classification_data()
    net, opt = classifier()
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(32)
    hist = History()
    model = Model(net, OneHotCE(), opt, metrics={"accuracy"})
    model.fit(2, data, data, callbacks=[LossMonitor(0), hist])
    out = capsys.readouterr().out
    assert out.count("Eval result: epoch") == 2 and "{'accuracy':" in out
    assert len(hist.history["accuracy"]) == 2 and net.training


def test_custom_eval_network_and_indexes():
    class Eval(nn.Cell):
        def __init__(self, net):
            super().__init__()
            self.net = net

        def construct(self, x, y):
            return self.net(x), y

    x, onehot = classification_data()
    net, opt = classifier()
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(16)
    model = Model(net, OneHotCE(), opt, metrics={"accuracy": Accuracy()}, eval_network=Eval(net))
    logits = model.predict(Tensor(x)).asnumpy()
    assert model.eval(data)["accuracy"] == pytest.approx(np.mean(logits.argmax(1) == onehot.argmax(1)))
    with pytest.raises(ValueError, match="eval_indexes"):
        Model(net, OneHotCE(), opt, metrics={"accuracy"}, eval_network=Eval(net), eval_indexes=[0, 1])


def test_model_errors():
    x, onehot = classification_data()
    data = NumpySlicesDataset((x, onehot), shuffle=False).batch(16)
    net, opt = classifier()
    with pytest.raises(ValueError, match="no optimizer"):
        Model(net, OneHotCE()).train(1, data)
    with pytest.raises(ValueError, match="'metrics' can not be None"):
        Model(net, OneHotCE(), opt).eval(data)
    with pytest.raises(KeyError, match="unsupported metric"):
        Model(net, OneHotCE(), opt, metrics={"accurracy"})
    with pytest.raises(TypeError, match="dict or a set"):
        Model(net, OneHotCE(), opt, metrics=["accuracy"])
    with pytest.raises(ValueError, match="eval_network"):
        Model(nn.WithLossCell(net, OneHotCE()), optimizer=opt, metrics={"loss"})
    with pytest.raises(ValueError, match="amp_level"):
        Model(net, OneHotCE(), opt, amp_level="O4")
    with pytest.raises(TypeError, match="network"):
        Model(OneHotCE, OneHotCE(), opt)
    model = Model(net, OneHotCE(), opt)
    for bad in (0, -1):
        with pytest.raises(ValueError, match="epoch"):
            model.train(bad, data)
    with pytest.raises(TypeError, match="epoch"):
        model.train(1.5, data)
    with pytest.raises(ValueError, match="initial_epoch"):
        model.train(2, data, initial_epoch=2)
    with pytest.raises(ValueError, match="sink_size"):
        model.train(1, data, dataset_sink_mode=True, sink_size=0)
    with pytest.raises(ValueError, match="sink_size"):
        model.train(1, data, sink_size=-2)
    with pytest.raises(TypeError, match="dataset_sink_mode"):
        model.train(1, data, dataset_sink_mode=1)
    with pytest.raises(TypeError, match="callbacks"):
        model.train(1, data, callbacks=[print])
    three = NumpySlicesDataset((x, onehot, onehot), shuffle=False).batch(16)
    with pytest.raises(ValueError, match="two elements"):
        model.train(1, three)
    with pytest.raises(TypeError, match="must be a dataset"):
        model.train(1, [(x, onehot)])
    with pytest.raises(ValueError, match="repeats forever"):
        model.train(1, data.repeat())


# ---- metrics ---------------------------------------------------------------------------------
def test_accuracy_against_numpy():
    rng = np.random.default_rng(0)
    acc = Accuracy()
    preds, labels = [], []
    for _ in range(3):
        p, y = rng.normal(size=(10, 4)), rng.integers(0, 4, 10)
        acc.update(Tensor(p.astype(np.float32)), Tensor(y.astype(np.int32)))
        preds.append(p)
        labels.append(y)
    expect = np.mean(np.concatenate(preds).argmax(1) == np.concatenate(labels))
    assert acc.eval() == pytest.approx(expect)
    onehot = Accuracy()(preds[0], np.eye(4)[labels[0]])
    assert onehot == pytest.approx(np.mean(preds[0].argmax(1) == labels[0]))
    multi = Accuracy("multilabel")
    multi.update(np.array([[0, 1, 1], [1, 0, 0]]), np.array([[0, 1, 1], [1, 1, 0]]))
    assert multi.eval() == 0.5
    acc.clear()
    with pytest.raises(RuntimeError, match="number of samples is 0"):
        acc.eval()
    with pytest.raises(ValueError, match="2 inputs"):
        acc.update(preds[0])
    with pytest.raises(ValueError, match="one more dimension"):
        acc.update(preds[0], preds[0][:, :2])
    with pytest.raises(TypeError, match="eval_type"):
        Accuracy("regression")
    with pytest.raises(TypeError, match="tensor, list or numpy"):
        acc.update(1.0, 2.0)


def test_loss_mae_mse_topk_against_numpy():
    loss = Loss()
    for v in (Tensor(np.float32(2.0)), Tensor(np.array([1.0, 3.0], np.float32)), np.array([4.0])):
        loss.update(v)
    assert loss.eval() == pytest.approx((2.0 + 2.0 + 4.0) / 3)
    with pytest.raises(ValueError, match="dimension"):
        loss.update(np.zeros((2, 2)))
    rng = np.random.default_rng(1)
    p, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3))
    assert MAE()(p, y) == pytest.approx(np.abs(p - y).sum() / 6)
    assert MSE()(Tensor(p.astype(np.float32)), y) == pytest.approx(((p - y) ** 2).sum() / 6, rel=1e-5)
    scores, labels = rng.normal(size=(20, 7)), rng.integers(0, 7, 20)
    top5 = np.argsort(-scores, 1)[:, :5]
    assert Top1CategoricalAccuracy()(scores, labels) == pytest.approx(np.mean(scores.argmax(1) == labels))
    assert Top5CategoricalAccuracy()(scores, labels) == pytest.approx(np.mean((top5 == labels[:, None]).any(1)))
    assert TopKCategoricalAccuracy(7)(scores, labels) == 1.0
    with pytest.raises(ValueError, match="'k'"):
        TopKCategoricalAccuracy(0)
    assert isinstance(get_metric_fn("mae"), MAE)


def test_metric_set_indexes():
    acc = Accuracy().set_indexes([2, 0])
    p = np.array([[0.1, 0.9], [0.8, 0.2]])
    acc.update(np.array([1, 1]), "ignored", p)
    assert acc.eval() == 0.5


def test_model_is_exported_at_the_runtime_level():
    assert ms.runtime.Model is Model and ms.runtime.model.Model is Model
