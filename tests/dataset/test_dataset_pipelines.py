"""MindSpore's beginner "dataset" and "transforms" tutorials' code path, and a CIFAR-10 training pipeline, on
synthetic files in the real formats (MNIST IDX, CIFAR-10 binary), through the public API with only the import
renamed; map's columns and create_dict_iterator's epochs; Cifar10Dataset's files, usage, sampling and errors."""

import numpy as np
import pytest

import minispore as ms
import minispore.dataset as ds
from minispore import nn
from minispore.dataset import Cifar10Dataset, GeneratorDataset, MnistDataset, transforms, vision
from minispore.train import Model


@pytest.fixture(autouse=True)
def _restore_seed():
    seed = ds.config.get_seed()
    yield
    ds.config.set_seed(seed)


def _idx(path, magic, array):
    path.write_bytes(np.array([magic, *array.shape], ">i4").tobytes() + array.astype(np.uint8).tobytes())


@pytest.fixture
def mnist_dir(tmp_path):
    rng = np.random.default_rng(0)
    _idx(tmp_path / "train-images-idx3-ubyte", 2051, rng.integers(0, 256, (40, 28, 28)))
    _idx(tmp_path / "train-labels-idx1-ubyte", 2049, rng.integers(0, 10, 40))
    return str(tmp_path)


def _cifar_records(rng, n):
    rec = rng.integers(0, 256, (n, 3073), dtype=np.uint8)
    rec[:, 0] = rng.integers(0, 10, n)
    return rec


@pytest.fixture
def cifar_dir(tmp_path):
    rng = np.random.default_rng(1)
    for name, n in [("data_batch_2.bin", 6), ("data_batch_1.bin", 8), ("test_batch.bin", 5)]:
        (tmp_path / name).write_bytes(_cifar_records(rng, n).tobytes())
    (tmp_path / "batches.meta.txt").write_text("airplane\nautomobile\n")
    (tmp_path / "readme.html").write_text("<html>")
    return tmp_path


def test_dataset_and_transforms_tutorials(mnist_dir):
    train_dataset = MnistDataset(mnist_dir, shuffle=False)
    image, label = next(train_dataset.create_tuple_iterator())
    assert image.shape == (28, 28, 1) and label.shape == ()
    train_dataset = train_dataset.shuffle(buffer_size=64)
    image_transforms = [vision.Rescale(1.0 / 255.0, 0), vision.Normalize(mean=(0.1307,), std=(0.3081,)),
                        vision.HWC2CHW()]
    label_transform = transforms.TypeCast(ms.int32)
    train_dataset = train_dataset.map(image_transforms, "image")
    train_dataset = train_dataset.map(label_transform, "label")
    train_dataset = train_dataset.batch(batch_size=32)
    for data in train_dataset.create_dict_iterator():
        assert list(data.keys()) == ["image", "label"]
    image, label = next(train_dataset.create_tuple_iterator())
    assert image.shape == (32, 1, 28, 28) and image.dtype == ms.float32 and label.dtype == ms.int32

    composed = transforms.Compose([vision.Rescale(1.0 / 255.0, 0), vision.Normalize(mean=(0.1307,), std=(0.3081,)),
                                   vision.HWC2CHW()])
    raw = MnistDataset(mnist_dir, shuffle=False)
    first = next(raw.create_tuple_iterator(output_numpy=True))[0]
    image, label = next(raw.map(composed, "image").create_tuple_iterator())
    assert image.shape == (1, 28, 28)
    np.testing.assert_allclose(image.asnumpy()[0], (first[..., 0] / 255.0 - 0.1307) / 0.3081, rtol=1e-5, atol=1e-6)

    random_np = np.random.randint(0, 255, (48, 48), np.uint8)
    normalized_image = vision.Normalize(mean=(0.1307,), std=(0.3081,))(vision.Rescale(1.0 / 255.0, 0)(random_np))
    hwc_image = np.expand_dims(normalized_image, -1)
    assert (hwc_image.shape, vision.HWC2CHW()(hwc_image).shape) == ((48, 48, 1), (1, 48, 48))
    doubled = GeneratorDataset([1, 2, 3], "data", shuffle=False).map(lambda x: x * 2)
    assert [int(t[0].asnumpy()) for t in doubled.create_tuple_iterator()] == [2, 4, 6]


def test_mnist_pipeline_trains_a_model(mnist_dir):
    ms.set_seed(1)
    data = MnistDataset(mnist_dir, usage="train", shuffle=True)
    data = data.map([vision.Resize((14, 14)), vision.Rescale(1 / 255, 0), vision.HWC2CHW()], "image",
                    num_parallel_workers=4)
    data = data.map(transforms.TypeCast(ms.int32), input_columns="label").batch(8, drop_remainder=True)
    net = nn.SequentialCell([nn.Flatten(), nn.Dense(196, 10)])
    model = Model(net, nn.SoftmaxCrossEntropyWithLogits(sparse=True, reduction="mean"), nn.Momentum(
        net.trainable_params(), 0.01, 0.9), metrics={"acc"})
    model.train(1, data)
    assert 0.0 <= model.eval(data)["acc"] <= 1.0


def test_cifar10_pipeline(cifar_dir):
    ds.config.set_seed(5)
    trans = [vision.RandomCrop((32, 32), (4, 4, 4, 4)), vision.RandomHorizontalFlip(prob=0.5),
             vision.Resize((24, 24)), vision.Rescale(1.0 / 255.0, 0.0),
             vision.Normalize([0.4914, 0.4822, 0.4465], [0.2023, 0.1994, 0.2010]), vision.HWC2CHW()]
    data = Cifar10Dataset(dataset_dir=str(cifar_dir), usage="train", num_parallel_workers=2, shuffle=True)
    data = data.map(operations=trans, input_columns="image", num_parallel_workers=2)
    data = data.map(operations=transforms.TypeCast(ms.int32), input_columns="label", num_parallel_workers=2)
    data = data.batch(4, drop_remainder=True)
    assert data.get_dataset_size() == 3
    batches = list(data.create_dict_iterator(num_epochs=1, output_numpy=True))
    assert len(batches) == 3
    assert batches[0]["image"].shape == (4, 3, 24, 24) and batches[0]["image"].dtype == np.float32
    assert batches[0]["label"].dtype == np.int32


def test_cifar10_files_usage_and_layout(cifar_dir):
    recs = {n: np.frombuffer((cifar_dir / n).read_bytes(), np.uint8).reshape(-1, 3073)
            for n in ("data_batch_1.bin", "data_batch_2.bin", "test_batch.bin")}
    expect = {"train": ["data_batch_1.bin", "data_batch_2.bin"], "test": ["test_batch.bin"],
              "all": ["data_batch_1.bin", "data_batch_2.bin", "test_batch.bin"]}
    for usage, names in expect.items():
        data = Cifar10Dataset(str(cifar_dir), usage=usage, shuffle=False)
        assert data.get_col_names() == ["image", "label"]
        rows = list(data.create_tuple_iterator(output_numpy=True))
        want = np.concatenate([recs[n] for n in names])
        assert len(rows) == len(want) == data.get_dataset_size()
        assert rows[0][0].shape == (32, 32, 3) and rows[0][0].dtype == np.uint8 and rows[0][1].dtype == np.uint32
        np.testing.assert_array_equal([r[1] for r in rows], want[:, 0])
        np.testing.assert_array_equal(rows[-1][0], want[-1, 1:].reshape(3, 32, 32).transpose(1, 2, 0))
    assert Cifar10Dataset(str(cifar_dir), num_samples=5).get_dataset_size() == 5
    shards = [[int(r[1]) for r in Cifar10Dataset(str(cifar_dir), usage="test", shuffle=False, num_shards=2,
                                                 shard_id=i).create_tuple_iterator(output_numpy=True)]
              for i in range(2)]
    assert shards == [recs["test_batch.bin"][[0, 2, 4], 0].tolist(), recs["test_batch.bin"][[1, 3, 0], 0].tolist()]


def test_cifar10_errors(tmp_path, cifar_dir):
    with pytest.raises(ValueError, match="usage must be 'train', 'test' or 'all'"):
        Cifar10Dataset(str(cifar_dir), usage="valid")
    with pytest.raises(ValueError, match="does not exist"):
        Cifar10Dataset(str(tmp_path / "missing"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match="no valid data"):
        Cifar10Dataset(str(tmp_path / "empty"))
    (cifar_dir / "data_batch_3.bin").write_bytes(b"\0" * 3000)
    with pytest.raises(RuntimeError, match="data_batch_3.bin has 3000 bytes, not a whole number"):
        Cifar10Dataset(str(cifar_dir), usage="train")


def test_map_columns_and_dict_iterator_epochs():
    data = ds.NumpySlicesDataset({"x": np.arange(4), "y": np.arange(4) * 10}, shuffle=False)
    out = data.map(transforms.Duplicate(), input_columns="x", output_columns=["x", "x2"], num_parallel_workers=2)
    assert out.get_col_names() == ["x", "x2", "y"]
    it = out.create_dict_iterator(num_epochs=2, output_numpy=True)
    epochs = [[{k: int(v) for k, v in row.items()} for row in it] for _ in range(3)]
    assert epochs[0] == epochs[1] == [{"x": i, "x2": i, "y": 10 * i} for i in range(4)] and epochs[2] == []
    onehot = data.map(transforms.OneHot(4), "x")
    row = next(onehot.create_dict_iterator(output_numpy=True))
    np.testing.assert_array_equal(row["x"], [1, 0, 0, 0])
    assert isinstance(next(data.create_dict_iterator())["x"], ms.Tensor)
