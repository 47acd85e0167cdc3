"""num_shards/shard_id: MindSpore's DistributedSampler rule. Every shard gets ceil(n / num_shards) rows,
row k of shard s being order[(k * num_shards + s) % n] of the (shuffled, same seed on every rank) order, so
the shards are disjoint when num_shards divides n, and always cover every row."""

import numpy as np
import pytest

import minispore as ms
from minispore.dataset import GeneratorDataset, MnistDataset, NumpySlicesDataset


def _rows(dataset):
    return [int(row[0]) for row in dataset.create_tuple_iterator(num_epochs=1, output_numpy=True)]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("num_shards", [2, 3, 4])
def test_shards_are_disjoint_and_cover_every_row(num_shards, shuffle):
    n = 12
    shards = []
    for shard_id in range(num_shards):
        ms.set_seed(5)  # every rank sets the same seed: the same shuffled order
        shards.append(_rows(NumpySlicesDataset(np.arange(n), shuffle=shuffle, num_shards=num_shards,
                                               shard_id=shard_id)))
    assert all(len(s) == n // num_shards for s in shards)
    assert sorted(sum(shards, [])) == list(range(n))  # disjoint and covering
    if not shuffle:
        assert shards[1] == list(range(1, n, num_shards))  # row k of shard s is k * num_shards + s


def test_uneven_shards_are_padded_to_equal_sizes():
    """7 rows over 2 shards: 4 each, the last row of shard 1 wrapping around to row 0 (MindSpore's padding)."""
    data = np.arange(7)
    shards = [_rows(NumpySlicesDataset(data, shuffle=False, num_shards=2, shard_id=s)) for s in range(2)]
    assert shards == [[0, 2, 4, 6], [1, 3, 5, 0]]
    assert {x for s in shards for x in s} == set(range(7))


def test_generator_dataset_shards():
    class Source:
        def __getitem__(self, i):
            return (np.array(i),)

        def __len__(self):
            return 10

    shards = [_rows(GeneratorDataset(Source(), ["x"], shuffle=False, num_shards=2, shard_id=s)) for s in range(2)]
    assert shards == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]


def test_shard_id_out_of_range_is_refused():
    with pytest.raises(ValueError, match="shard_id"):
        NumpySlicesDataset(np.arange(4), num_shards=2, shard_id=2)
    with pytest.raises(RuntimeError, match="together"):
        NumpySlicesDataset(np.arange(4), num_shards=2)


def test_an_iterable_source_cannot_be_sharded():
    """Without __getitem__ there are no indices to deal out: refused (MindSpore's message), rather than every
    rank reading every row."""
    def gen():
        yield from ((np.array(i),) for i in range(4))

    with pytest.raises(ValueError, match="num_shards is not supported if source does not have attribute"):
        GeneratorDataset(gen, ["x"], num_shards=2, shard_id=0)


def _write_idx(path, magic, array):
    header = np.array([magic, *array.shape], ">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def test_mnist_dataset_shards(tmp_path):
    """MnistDataset shards its rows as the other sources (labels 0..9 identify the 10 images)."""
    _write_idx(tmp_path / "train-images-idx3-ubyte", 2051, np.zeros((10, 28, 28)))
    _write_idx(tmp_path / "train-labels-idx1-ubyte", 2049, np.arange(10))
    shards = []
    for shard_id in range(2):
        ms.set_seed(9)
        data = MnistDataset(str(tmp_path), usage="train", shuffle=True, num_shards=2, shard_id=shard_id)
        shards.append([int(r[1]) for r in data.create_tuple_iterator(num_epochs=1, output_numpy=True)])
    assert len(shards[0]) == len(shards[1]) == 5
    assert sorted(shards[0] + shards[1]) == list(range(10))
