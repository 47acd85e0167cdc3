"""Bad datasets through the public API (minispore.dataset, Model): a clear error naming the problem (and
the file, for MnistDataset), never a crash from deep inside, a silent no-op or a silent NaN."""

import logging
import traceback

import numpy as np
import pytest

import minispore.dataset as ds
from minispore import nn
from minispore.train import Model

X = np.ones((4, 3), np.float32)
Y = np.zeros((4, 2), np.float32)


def _model(metrics=None, loss=True, lr=0.1):
    net = nn.Dense(3, 2, weight_init="ones", bias_init="zeros")
    return Model(net, nn.MSELoss() if loss else None, nn.SGD(net.trainable_params(), lr), metrics=metrics)


def _gen(rows):
    def gen():
        yield from rows
    return gen


# ---- columns against the network ------------------------------------------------------------------
@pytest.mark.parametrize("run, pattern", [
    (lambda: _model().train(1, ds.NumpySlicesDataset((X, Y, Y)).batch(2)),
     r"'train_dataset' gives 3 columns \['column_0', 'column_1', 'column_2'\] but WithLossCell.construct takes 2 "
     r"inputs \(data, label\)"),
    (lambda: _model().train(1, ds.NumpySlicesDataset({"x": X}).batch(2)),
     r"gives 1 column \['x'\] but WithLossCell.construct takes 2 inputs"),
    (lambda: _model(loss=False).train(1, ds.NumpySlicesDataset({"x": X, "y": Y}).batch(2)),
     r"gives 2 columns \['x', 'y'\] but Dense.construct takes 1 input \(x\)"),
    (lambda: _model({"loss"}).eval(ds.NumpySlicesDataset((X, Y, Y)).batch(2)),
     r"For 'Model.eval', the dataset 'valid_dataset' gives 3 columns .* WithEvalCell.construct takes 2 inputs"),
], ids=["train-3-cols", "train-1-col", "no-loss-fn-2-cols", "eval-3-cols"])
def test_column_count_must_match_the_cell_fed(run, pattern):
    with pytest.raises(ValueError, match=pattern):
        run()


def test_fit_checks_the_valid_dataset_before_training():
    model = _model({"loss"})
    before = model.train_network.trainable_params()[0].asnumpy().copy()
    with pytest.raises(ValueError, match=r"For 'Model.fit', the dataset 'valid_dataset' gives 1 column"):
        model.fit(1, ds.NumpySlicesDataset((X, Y)).batch(2), ds.NumpySlicesDataset({"x": X}).batch(2))
    np.testing.assert_array_equal(model.train_network.trainable_params()[0].asnumpy(), before)  # no step ran


# ---- rows that cannot be batched or fed --------------------------------------------------------------
def test_ragged_rows_fail_at_batch_naming_the_column():
    rows = [(np.ones(3 if i % 2 else 4, np.float32), Y[0]) for i in range(4)]
    with pytest.raises(RuntimeError, match=r"Inconsistent batch shapes.*column 'x' has shape \[4\].*\[3\]"):
        _model().train(1, ds.GeneratorDataset(_gen(rows), ["x", "y"]).batch(2))


@pytest.mark.parametrize("item, pattern", [
    ({"a": 1}, r"column 'x' \(item 0 of a row\).*but got dict"),
    (None, r"column 'x' .*but got NoneType"),
    ([[1.0, 2.0], [3.0]], r"column 'x' .*but got list of ragged rows"),
])
def test_non_array_items_name_the_column(item, pattern):
    with pytest.raises(TypeError, match=pattern):
        _model().train(1, ds.GeneratorDataset(_gen([(item, Y[0])] * 2), ["x", "y"]).batch(1))


def test_string_column_is_a_type_error_naming_the_column():
    data = ds.NumpySlicesDataset({"x": np.array([["a", "b", "c"]] * 4), "y": Y}).batch(2)
    with pytest.raises(TypeError, match=r"column 'x' has dtype <U1, which a minispore Tensor cannot hold"):
        _model().train(1, data)
    assert next(iter(data.create_tuple_iterator(output_numpy=True)))[0].dtype.kind == "U"  # numpy output is fine


def test_float64_columns_reach_the_network_unchanged():
    # no silent cast in the pipeline: the op that takes float32 sees float64 and can refuse it clearly
    batch = next(iter(ds.NumpySlicesDataset({"x": X.astype(np.float64), "y": Y}).batch(2)))
    assert batch[0].asnumpy().dtype == np.float64


# ---- empty datasets ----------------------------------------------------------------------------------
EMPTY = {
    "no-rows": lambda: ds.NumpySlicesDataset((X[:0], Y[:0])).batch(2),
    "drop-remainder-drops-all": lambda: ds.NumpySlicesDataset((X, Y)).batch(8, drop_remainder=True),
    "empty-generator": lambda: ds.GeneratorDataset(_gen([]), ["x", "y"]).batch(2),
    "skip-everything": lambda: ds.NumpySlicesDataset((X, Y)).skip(10).batch(2),
}


@pytest.mark.parametrize("make", EMPTY.values(), ids=EMPTY.keys())
def test_empty_dataset_is_a_value_error_naming_it(make):
    with pytest.raises(ValueError, match=r"For 'Model.train', there is no valid data in the dataset 'train_dataset'"):
        _model().train(1, make())
    with pytest.raises(ValueError, match=r"For 'Model.eval', there is no valid data in the dataset 'valid_dataset'"):
        _model({"loss"}).eval(make())
    with pytest.raises(ValueError, match=r"For 'Model.fit', there is no valid data in the dataset 'valid_dataset'"):
        _model({"loss"}).fit(1, ds.NumpySlicesDataset((X, Y)).batch(2), make())


class _LenSaysFive:  # an iterable whose __len__ promises rows it never yields
    def __len__(self):
        return 5

    def __iter__(self):
        return iter(())


def test_epoch_without_batches_is_an_error_not_a_silent_no_op():
    data = ds.GeneratorDataset(_LenSaysFive(), ["x", "y"])
    with pytest.raises(ValueError, match=r"'train_dataset' produced no batch in epoch 1, although its "
                                         r"get_dataset_size\(\) is 5"):
        _model().train(1, data)
    with pytest.raises(ValueError, match=r"'valid_dataset' produced no batch"):
        _model({"loss"}).eval(data)


def test_generator_object_source_is_read_once_then_a_clear_error():
    def rows():
        yield from zip(X, Y)

    once = ds.GeneratorDataset(rows(), ["x", "y"])
    assert len(list(once.create_tuple_iterator(num_epochs=1))) == 4  # one pass over an iterator works
    with pytest.raises(RuntimeError, match=r"iterator \(generator\) that an earlier pass already read.*"
                                           r"GeneratorDataset\(gen, \.\.\.\), not GeneratorDataset\(gen\(\), \.\.\.\)"):
        list(once)
    with pytest.raises(RuntimeError, match="can be read only once"):  # get_dataset_size counted its rows first
        _model().train(1, ds.GeneratorDataset(rows(), ["x", "y"]).batch(2))


# ---- generator sources -------------------------------------------------------------------------------
class UserError(Exception):
    pass


def _failing_rows():
    yield X[0], Y[0]
    raise UserError("row 1 is corrupt")


def test_generator_exception_propagates_with_its_traceback():
    with pytest.raises(UserError, match="row 1 is corrupt") as info:
        _model().train(1, ds.GeneratorDataset(_failing_rows, ["x", "y"]).batch(1))
    assert "_failing_rows" in [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    with pytest.raises(UserError):  # the same when iterated by hand, mid-epoch
        list(ds.GeneratorDataset(_failing_rows, ["x", "y"]).create_tuple_iterator(num_epochs=1))


def test_generator_row_width_must_match_column_names():
    with pytest.raises(RuntimeError, match=r"row of 3 column\(s\), but column_names has 2: \['x', 'y'\]"):
        _model().train(1, ds.GeneratorDataset(_gen([(X[0], Y[0], Y[0])] * 2), ["x", "y"]).batch(1))


def test_slow_row_count_warns_about_an_endless_source(monkeypatch, caplog):
    monkeypatch.setattr("minispore.runtime.dataset_base._COUNT_WARN_S", 0.0)
    data = ds.GeneratorDataset(_gen([(X[0], Y[0])] * 2048), ["x", "y"])
    with caplog.at_level(logging.WARNING, logger="minispore"):
        assert data.get_dataset_size() == 2048
    assert sum("never ends" in r.getMessage() for r in caplog.records) == 1


# ---- NaN/Inf in the data -----------------------------------------------------------------------------
def _nonfinite_warnings(caplog):
    return [r.getMessage() for r in caplog.records if "the loss is" in r.getMessage()]


def test_nan_in_a_batch_warns_once_naming_epoch_step_and_column(caplog):
    x = X.copy()
    x[2, 1] = np.nan  # in the second batch of 2
    with caplog.at_level(logging.WARNING, logger="minispore"):
        _model().train(2, ds.NumpySlicesDataset({"x": x, "y": Y}, shuffle=False).batch(2))  # trains on
    (msg,) = _nonfinite_warnings(caplog)
    assert "loss is nan at epoch 1, step 2" in msg and "contains NaN/Inf in column(s) ['x']" in msg


def test_divergence_on_finite_data_says_the_batch_is_finite(caplog):
    with caplog.at_level(logging.WARNING, logger="minispore"):
        _model().train(1, ds.NumpySlicesDataset({"x": X * 1e30, "y": Y}).batch(2))  # (3e30)^2 overflows float32
    (msg,) = _nonfinite_warnings(caplog)
    assert "epoch 1, step 1" in msg and "input batch of that step is finite" in msg


def test_finite_training_logs_no_loss_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="minispore"):
        _model().train(2, ds.NumpySlicesDataset({"x": X, "y": Y}).batch(2))
    assert not _nonfinite_warnings(caplog)


# ---- MnistDataset ------------------------------------------------------------------------------------
def _idx(path, magic, dims, data=None, cut=None, extra=b""):
    body = bytes(int(np.prod(dims))) if data is None else data
    raw = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in dims) + body + extra
    path.write_bytes(raw if cut is None else raw[:cut])


def _mnist(folder, images=None, labels=None):
    folder.mkdir(exist_ok=True)
    _idx(folder / "train-images-idx3-ubyte", 2051, [5, 28, 28], **(images or {}))
    _idx(folder / "train-labels-idx1-ubyte", 2049, [5], **(labels or {}))
    return folder


IMG, LBL = "train-images-idx3-ubyte", "train-labels-idx1-ubyte"
MNIST_CASES = {
    "truncated-images": (dict(images={"cut": 16 + 100}), IMG, r"is truncated: its header gives 5 images \(3920 bytes"),
    "truncated-labels": (dict(labels={"cut": 8 + 2}), LBL, r"is truncated: its header gives 5 labels"),
    "truncated-header": (dict(images={"cut": 10}), IMG, r"has 10 bytes, less than the 16-byte header"),
    "empty-file": (dict(labels={"cut": 0}), LBL, r"has 0 bytes, less than the 8-byte header"),
    "trailing-bytes": (dict(images={"extra": b"xx"}), IMG, r"longer than its header says"),
    "wrong-magic": (dict(labels={"magic": 1234}), LBL, r"expected magic number 2049, but got 1234"),
    "swapped-files": (dict(images={"magic": 2049, "dims": [5]}), IMG,
                      r"expected magic number 2051, but got 2049 \(that of an MNIST label file"),
    "not-28x28": (dict(images={"dims": [5, 20, 20]}), IMG, r"should be \(28, 28\), but got \(20, 20\)"),
    "count-mismatch": (dict(labels={"dims": [4]}), LBL, r"has 5 images but .*has 4 labels"),
}


@pytest.mark.parametrize("case", MNIST_CASES.values(), ids=MNIST_CASES.keys())
def test_mnist_bad_files_name_the_file_and_the_problem(tmp_path, case):
    spec, name, pattern = case
    images = {**spec.get("images", {})}
    labels = {**spec.get("labels", {})}
    folder = tmp_path / "mnist"
    folder.mkdir()
    _idx(folder / IMG, images.pop("magic", 2051), images.pop("dims", [5, 28, 28]), **images)
    _idx(folder / LBL, labels.pop("magic", 2049), labels.pop("dims", [5]), **labels)
    with pytest.raises(RuntimeError, match=pattern) as info:
        ds.MnistDataset(str(folder), usage="train")
    assert name in str(info.value) and "Invalid MNIST file" in str(info.value)


@pytest.mark.parametrize("head, what", [(b"\x89PNG\r\n\x1a\n", "a PNG image"), (b"\x1f\x8b\x08\x00", "a gzip archive")])
def test_mnist_foreign_file_says_what_it_is(tmp_path, head, what):
    folder = _mnist(tmp_path / "mnist")
    (folder / IMG).write_bytes(head + bytes(64))
    with pytest.raises(RuntimeError, match=f"{IMG} is not an MNIST IDX image file.*it is {what}"):
        ds.MnistDataset(str(folder))


def test_mnist_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist or is not a directory"):
        ds.MnistDataset(str(tmp_path / "missing"))
    with pytest.raises(TypeError, match="dataset_dir must be a str"):
        ds.MnistDataset(None)
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match=r"no valid data .* expected train-images-idx3-ubyte"):
        ds.MnistDataset(str(tmp_path / "empty"), usage="train")
    no_labels = _mnist(tmp_path / "no-labels")
    (no_labels / LBL).unlink()
    with pytest.raises(RuntimeError, match=rf"found 1 image file\(s\) \['{IMG}'\] but 0 label file\(s\)"):
        ds.MnistDataset(str(no_labels))
    zero = tmp_path / "zero"
    zero.mkdir()
    _idx(zero / IMG, 2051, [0, 28, 28])
    _idx(zero / LBL, 2049, [0])
    with pytest.raises(RuntimeError, match=r"no valid data .*hold 0 images"):
        ds.MnistDataset(str(zero))
    as_dir = _mnist(tmp_path / "as-dir")
    (as_dir / IMG).unlink()
    (as_dir / IMG).mkdir()
    with pytest.raises(RuntimeError, match=rf"failed to open .*{IMG}"):
        ds.MnistDataset(str(as_dir))


def test_mnist_good_files_still_read(tmp_path):
    assert ds.MnistDataset(str(_mnist(tmp_path / "mnist")), usage="train").get_dataset_size() == 5
