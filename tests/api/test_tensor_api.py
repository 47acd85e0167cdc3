"""The Tensor API of MindSpore's tensors tutorial beyond its printed lines: ``//`` and ``%`` (floor semantics,
as MindSpore's FloorDiv/FloorMod and Python) on floats and integers with their gradients, itemsize/nbytes/
strides, ``Tensor.from_numpy``, and the CSRTensor/COOTensor containers."""

import numpy as np

import minispore as ms
from minispore import COOTensor, CSRTensor, Tensor, ops


def test_floor_div_and_mod_follow_python():
    a = np.array([7.0, -7.0, 7.5, -7.5], np.float32)
    b = np.array([2.0, 2.0, -2.0, -2.0], np.float32)
    np.testing.assert_array_equal((Tensor(a) // Tensor(b)).asnumpy(), a // b)
    np.testing.assert_allclose((Tensor(a) % Tensor(b)).asnumpy(), a % b)
    ai, bi = a.astype(np.int32), b.astype(np.int32)
    q, r = Tensor(ai) // Tensor(bi), Tensor(ai) % Tensor(bi)
    assert q.dtype == ms.int32 and r.dtype == ms.int32
    np.testing.assert_array_equal(q.asnumpy(), ai // bi)
    np.testing.assert_array_equal(r.asnumpy(), ai % bi)
    np.testing.assert_array_equal((7 % Tensor(bi)).asnumpy(), 7 % bi)
    np.testing.assert_array_equal(ops.remainder(Tensor(a), 2.0).asnumpy(), a % 2)
    np.testing.assert_array_equal(ops.FloorDiv()(Tensor(a), Tensor(b)).asnumpy(), a // b)


def test_floor_mod_gradient():
    x, y = Tensor(np.array([7.0, -7.5], np.float32)), Tensor(np.array([2.0, 2.0], np.float32))
    gx, gy = ms.grad(lambda x, y: ops.floor_mod(x, y).sum(), grad_position=(0, 1))(x, y)
    np.testing.assert_array_equal(gx.asnumpy(), [1.0, 1.0])
    np.testing.assert_array_equal(gy.asnumpy(), [-3.0, 4.0])


def test_tensor_attributes_and_from_numpy():
    t = Tensor(np.zeros((2, 3, 4), np.float16))
    assert (t.itemsize, t.nbytes, t.strides) == (2, 48, (24, 8, 2))
    n = np.ones(3, np.float32)
    s = Tensor.from_numpy(n)
    n += 1
    np.testing.assert_array_equal(s.asnumpy(), [2, 2, 2])
    np.testing.assert_array_equal(Tensor([[1.0, 2.0]]).matmul(Tensor([[3.0], [4.0]])).asnumpy(), [[11.0]])


def test_sparse_containers():
    csr = CSRTensor(Tensor([0, 1, 3]), Tensor([1, 0, 3]), Tensor([1.0, 2.0, 3.0]), (2, 4))
    dense = np.array([[0, 1, 0, 0], [2, 0, 0, 3]], np.float32)
    np.testing.assert_array_equal(csr.to_dense().asnumpy(), dense)
    coo = csr.to_coo()
    np.testing.assert_array_equal(coo.indices.asnumpy(), [[0, 1], [1, 0], [1, 3]])
    np.testing.assert_array_equal(coo.to_csr().to_dense().asnumpy(), dense)
    assert coo.astype(ms.float64).dtype == ms.float64 and csr.ndim == 2 and csr.size == 3
    assert COOTensor(Tensor([[0, 0], [0, 0]]), Tensor([1.0, 2.0]), (1, 1)).to_dense().asnumpy()[0, 0] == 3.0
