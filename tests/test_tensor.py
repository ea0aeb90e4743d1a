"""Tensor creation, attributes, dtypes, printing and errors."""
import numpy as np
import pytest

import chainrule as cr


def test_default_dtypes_follow_pytorch():
    assert cr.tensor(1.5).dtype == np.float32
    assert cr.tensor([1, 2]).dtype == np.int64
    assert cr.tensor([True]).dtype == np.bool_
    assert cr.tensor(np.array([1.0])).dtype == np.float64  # NumPy arrays keep theirs
    assert cr.tensor(np.array([1], np.int32)).dtype == np.int32
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == np.float64
    assert cr.zeros(2, 3).dtype == np.float32 and cr.zeros(2, 3).shape == (2, 3)
    assert cr.arange(5).dtype == np.int64 and cr.arange(0.0, 1.0, 0.25).dtype == np.float32
    assert cr.full((2,), 3).dtype == np.int64 and cr.full((2,), 3.0).dtype == np.float32


def test_set_default_dtype():
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.tensor(1.0).dtype == np.float64 and cr.ones(2).dtype == np.float64
    finally:
        cr.set_default_dtype(cr.float32)
    with pytest.raises(TypeError):
        cr.set_default_dtype(cr.int32)


def test_constructor_aliases_and_copying():
    data = np.array([1.0, 2.0])
    t = cr.Tensor(data, requires_grad=True, name="w")
    v = cr.Variable(data)
    data[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and v.tolist() == [1.0, 2.0]  # tensor() copies
    shared = cr.from_numpy(data)
    data[1] = 7.0
    assert shared.tolist() == [9.0, 7.0]  # from_numpy shares
    assert t.name == "w" and t.is_leaf and t.requires_grad


def test_creation_functions():
    assert cr.ones((2, 2)).tolist() == [[1, 1], [1, 1]]
    assert cr.empty(3).shape == (3,)
    assert cr.eye(2).tolist() == [[1, 0], [0, 1]]
    assert np.allclose(cr.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    x = cr.randn(3, 4)
    assert cr.zeros_like(x).shape == (3, 4) and cr.ones_like(x).dtype == np.float32
    assert cr.full_like(x, 2.0).numpy().max() == 2.0
    assert cr.rand_like(x).shape == (3, 4) and cr.randn_like(x).shape == (3, 4)
    assert cr.empty_like(x).shape == (3, 4)
    r = cr.randint(0, 5, (100,))
    assert r.dtype == np.int64 and 0 <= r.numpy().min() and r.numpy().max() < 5
    assert cr.ones(2, requires_grad=True).requires_grad


def test_manual_seed_makes_random_reproducible():
    cr.manual_seed(7)
    a = (cr.rand(3), cr.randn(3), cr.randint(0, 100, (3,)))
    cr.manual_seed(7)
    b = (cr.rand(3), cr.randn(3), cr.randint(0, 100, (3,)))
    for p, q in zip(a, b):
        assert np.array_equal(p.numpy(), q.numpy())


def test_only_floating_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="floating"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating"):
        cr.arange(3).requires_grad_()
    with pytest.raises(RuntimeError, match="floating"):
        cr.zeros(2, dtype=cr.int64, requires_grad=True)


def test_attributes():
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert x.shape == (2, 3) and x.ndim == 2 and x.dim() == 2
    assert x.size() == (2, 3) and x.size(1) == 3 and x.numel() == 6 and len(x) == 2
    assert x.device == "cpu" and x.dtype == np.float64
    assert x.T.shape == (3, 2) and x.mT.shape == (3, 2)
    assert [row.tolist() for row in x] == [[0, 1, 2], [3, 4, 5]]
    assert cr.tensor([[3.5]]).item() == 3.5
    assert float(cr.tensor(2.0)) == 2.0 and int(cr.tensor(3)) == 3
    assert x.detach().numpy().shape == (2, 3)
    with pytest.raises(RuntimeError, match="detach"):
        x.numpy()
    with pytest.raises(ValueError, match="one element"):
        x.item()


def test_conversions():
    x = cr.tensor([1.7, -2.2])
    assert x.long().dtype == np.int64 and x.long().tolist() == [1, -2]
    assert x.double().dtype == np.float64 and x.half().dtype == np.float16
    assert x.to(cr.float64).dtype == np.float64 and x.astype("float64").dtype == np.float64
    assert x.to("cpu") is x
    assert x.bool().tolist() == [True, True] and x.int().dtype == np.int32
    with pytest.raises(NotImplementedError, match="CUDA"):
        cr.tensor([1.0], device="cuda")


def test_repr_is_pytorch_like():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    assert repr(x) == "tensor([[1., 2.],\n        [3., 4.]], requires_grad=True)"
    assert repr(x * 2).endswith("grad_fn=<MulBackward>)")
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=float64" in repr(cr.tensor(np.ones(2)))
    assert f"{cr.tensor(2.5):.2f}" == "2.50"


def test_reflected_operators_with_scalars_and_numpy_arrays():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    arr = np.array([10.0, 20.0], dtype=np.float32)
    for y in (2 + x, 2 - x, 2 * x, 2 / x, 2 ** x, arr + x, arr - x, arr * x, arr / x,
              x + arr, x @ arr, arr @ x):
        assert isinstance(y, cr.Tensor) and y.requires_grad
    assert (arr - x).tolist() == [9.0, 18.0]
    assert (7 // cr.tensor([2.0, 3.0])).tolist() == [3.0, 2.0]
    assert (cr.tensor([7.0, -7.0]) % 3).tolist() == [1.0, 2.0]  # Python's sign convention


def test_errors_name_the_op_shapes_and_dtypes():
    with pytest.raises(ValueError,
                       match=r"matmul: shapes \(3, 4\) and \(5, 2\) do not align: 4 != 5"):
        cr.ones(3, 4) @ cr.ones(5, 2)
    with pytest.raises(ValueError, match=r"add: .*\(3, 4\) float32.*\(5, 2\) float32"):
        cr.ones(3, 4) + cr.ones(5, 2)
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(2, 3\)"):
        cr.ones(2, 3).reshape(4, 2)
    with pytest.raises(IndexError, match="sum: dim 2 is out of range"):
        cr.ones(2, 3).sum(dim=2)
    with pytest.raises(ValueError, match="cat: shapes"):
        cr.cat([cr.ones(2, 3), cr.ones(3, 3)], dim=1)


def test_dim_axis_keepdim_keepdims_all_accepted():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert x.sum(dim=1).tolist() == x.sum(axis=1).tolist() == [3.0, 12.0]
    assert x.mean(1, keepdim=True).shape == x.mean(axis=1, keepdims=True).shape == (2, 1)
    assert x.amax(axis=(0, 1)).item() == 5.0
    assert cr.sum(x, dim=0).tolist() == [3.0, 5.0, 7.0]
    assert x.max(axis=1).indices.tolist() == [2, 2]
    assert x.cumsum(axis=1).tolist() == [[0, 1, 3], [3, 7, 12]]


def test_reduction_values():
    x = cr.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=cr.float64)
    assert x.prod().item() == 24.0
    assert x.var().item() == pytest.approx(np.var([1, 2, 3, 4], ddof=1))
    assert x.std(correction=0).item() == pytest.approx(np.std([1, 2, 3, 4]))
    assert x.logsumexp().item() == pytest.approx(np.log(np.exp([1, 2, 3, 4]).sum()))
    assert x.norm().item() == pytest.approx(np.sqrt(30))
    assert x.norm(p=1).item() == 10.0 and x.norm(p=float("inf")).item() == 4.0
    assert x.argmin().item() == 0 and x.argmax(dim=0).tolist() == [1, 1]
    assert cr.tensor([1000.0, 1000.0]).logsumexp().item() == pytest.approx(1000 + np.log(2))


def test_shape_op_values():
    x = cr.arange(6)
    assert x.reshape(2, 3).T.tolist() == [[0, 3], [1, 4], [2, 5]]
    assert x.reshape(2, 3).flip(1).tolist() == [[2, 1, 0], [5, 4, 3]]
    assert x.roll(2).tolist() == [4, 5, 0, 1, 2, 3]
    assert [p.tolist() for p in x.split(4)] == [[0, 1, 2, 3], [4, 5]]
    assert [p.tolist() for p in x.chunk(3)] == [[0, 1], [2, 3], [4, 5]]
    assert cr.stack([x, x], dim=1).shape == (6, 2)
    assert cr.pad(x.reshape(2, 3), (1, 0)).tolist() == [[0, 0, 1, 2], [0, 3, 4, 5]]
    assert x.reshape(2, 3).repeat(1, 2).tolist() == [[0, 1, 2, 0, 1, 2], [3, 4, 5, 3, 4, 5]]
    assert x.unsqueeze(0).shape == (1, 6) and x.unsqueeze(0).squeeze(0).shape == (6,)
    idx = cr.tensor([[0], [2]])
    assert x.reshape(2, 3).gather(1, idx).tolist() == [[0], [5]]


def test_every_dim_taking_op_accepts_axis_too():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    idx = cr.tensor([[0], [2]])
    assert [p.shape for p in x.split(1, axis=1)] == [(2, 1)] * 3
    assert len(x.chunk(2, axis=1)) == 2
    assert x.unsqueeze(axis=0).shape == (1, 2, 3)
    assert x.gather(axis=1, index=idx).tolist() == [[0.0], [5.0]]
    assert x.index_select(axis=1, index=cr.tensor([2])).tolist() == [[2.0], [5.0]]
    assert x.take_along_dim(idx, axis=1).tolist() == [[0.0], [5.0]]
    assert len(x.unbind(axis=1)) == 3
    assert x.flip(axis=0).tolist() == [[3, 4, 5], [0, 1, 2]]
    assert x.roll(1, axis=1).tolist() == [[2, 0, 1], [5, 3, 4]]
    assert x.squeeze(axis=0).shape == (2, 3)
    assert cr.cat([x, x], axis=0).shape == (4, 3) and cr.stack([x, x], axis=2).shape == (2, 3, 2)
    assert x.var(axis=1, keepdims=True).shape == (2, 1)
    assert x.norm(axis=0).shape == (3,) and x.logsumexp(axis=1, keepdims=True).shape == (2, 1)


def test_every_construction_path_sets_every_field():
    # Tensor(...) and make_tensor (every op's and the engine's outputs, recorded ones
    # included) write the fields each in its own lines: they must agree.
    from chainrule.autograd.tensor import Tensor, make_tensor
    fields = [f for f in Tensor.__slots__ if f != "__weakref__"]
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    made = {"Tensor": Tensor([1.0]), "make_tensor": make_tensor(np.ones(2)),
            "recorded": x * 2.0, "no_grad": x.detach() + 1.0}
    for path, t in made.items():
        values = {f: getattr(t, f) for f in fields}  # AttributeError: a field left unset
        assert values["_version"] == [0, None], path
        assert values["grad"] is None and values["_base"] is None, path
    assert made["recorded"].grad_fn is not None and made["make_tensor"].grad_fn is None


@pytest.mark.parametrize("scalar", [np.float16(2), np.float32(1.5), np.float64(2.5), np.int32(3),
                                    np.int64(-4), np.bool_(True), np.complex64(1j)])
def test_a_numpy_scalar_becomes_a_0d_tensor_of_its_dtype(scalar):
    t = cr.tensor(scalar)
    assert type(t._data) is np.ndarray and t.shape == () and t.numpy() == scalar
    assert t.dtype == np.asarray(scalar).dtype
    torch = pytest.importorskip("torch")
    assert str(torch.tensor(scalar).dtype).split(".")[1] == str(t.dtype)
    if t.dtype.kind != "c":
        assert cr.tensor(scalar, dtype=np.float64).dtype == np.float64
