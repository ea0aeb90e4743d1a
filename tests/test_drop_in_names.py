"""The names and habits PyTorch programs rely on, under chainrule's import paths."""
import copy
import pickle

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


def test_device_objects_as_torch_device():
    d = cr.device("cuda:1")
    assert (d.type, d.index, str(d), repr(d)) == ("cuda", 1, "cuda:1",
                                                   "device(type='cuda', index=1)")
    assert cr.device("cuda", 1) == d and cr.device(d) == d and hash(d) == hash("cuda:1")
    cpu = cr.device("cpu")
    assert cpu.index is None and cpu == "cpu" and pickle.loads(pickle.dumps(cpu)) == cpu
    for bad in ("gpu", "cuda:x", "cuda:-1"):
        with pytest.raises(RuntimeError, match="device"):
            cr.device(bad)


def test_tensors_live_on_the_cpu_device():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    t = cr.ones(2, 3).to(device)
    assert t.device == cpu_device() and isinstance(t.device, cr.device)
    assert t.is_cuda is False and t.device.type == "cpu"
    assert cr.zeros(2, device=device).device == "cpu"
    m = nn.Linear(3, 1).to(device)
    assert m(t).shape == (2, 1)
    with pytest.raises(NotImplementedError, match="CUDA"):
        t.to("cuda")


def cpu_device():
    return cr.device("cpu")


def test_no_accelerator_and_settable_backend_flags():
    assert cr.cuda.is_available() is False and cr.cuda.device_count() == 0
    assert cr.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is None
    cr.cuda.manual_seed(0)
    cr.cuda.manual_seed_all(0)
    cr.backends.cudnn.benchmark = True
    cr.backends.cudnn.deterministic = True
    cr.backends.cuda.matmul.allow_tf32 = True
    assert cr.backends.mps.is_available() is False and cr.backends.cudnn.is_available() is False


def test_dtype_names():
    assert cr.float is cr.float32 and cr.int is cr.int32 and cr.long is cr.int64
    assert cr.short is cr.int16 and cr.double is cr.float64
    assert cr.ones(2, dtype=cr.float).dtype == np.float32
    assert cr.tensor([1 + 2j], dtype=cr.cfloat).dtype == np.complex64


def test_import_paths():
    from chainrule.nn.modules.conv import Conv2d
    from chainrule.nn.modules.linear import Linear
    from chainrule.nn.modules.loss import MSELoss
    from chainrule.nn.modules.module import Module
    from chainrule.utils.checkpoint import checkpoint
    from chainrule.utils.data import DataLoader, Dataset, TensorDataset, random_split
    assert Linear is nn.Linear and Conv2d is nn.Conv2d and MSELoss is nn.MSELoss
    assert Module is nn.Module and Dataset is cr.data.Dataset
    assert checkpoint is cr.utils.checkpoint
    data = TensorDataset(cr.arange(10.0).reshape(5, 2), cr.arange(5))
    train, test = random_split(data, [3, 2])
    assert len(train) == 3 and len(test) == 2
    assert [b[0].shape for b in DataLoader(data, batch_size=2)] == [(2, 2), (2, 2), (1, 2)]
    assert cr.nn.utils.clip_grad_norm_ is not None and cr.distributions.Normal is not None


def test_data_is_a_tensor_sharing_memory_outside_the_graph():
    model = nn.Linear(2, 3)
    model.bias.data.fill_(0.01)
    np.testing.assert_allclose(model.bias.detach().numpy(), [0.01] * 3, rtol=1e-6)
    p = model.weight
    p.sum().backward()
    before = p.detach().numpy().copy()
    p.data.add_(p.grad, alpha=-0.1)
    np.testing.assert_allclose(p.detach().numpy(), before - 0.1, rtol=1e-6)
    assert isinstance(p.data, cr.Tensor) and not p.data.requires_grad
    assert p.data.grad_fn is None and p.requires_grad
    p.data = cr.zeros(3, 2)  # assigning replaces the values, keeps the Parameter
    assert isinstance(p, nn.Parameter) and p.detach().numpy().sum() == 0


def test_deepcopy_of_a_module_keeps_parameters():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    model(cr.ones(4, 2)).sum().backward()
    twin = copy.deepcopy(model)
    pairs = list(zip(model.parameters(), twin.parameters()))
    assert len(pairs) == 4
    for a, b in pairs:
        assert type(b) is nn.Parameter and b is not a and b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    next(twin.parameters()).data.fill_(5.0)
    assert next(model.parameters()).detach().numpy().max() < 5.0  # no memory shared
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(model(cr.ones(1, 2)))


def test_as_tensor_shares_memory_where_it_can():
    a = np.zeros(3, dtype=np.float32)
    t = cr.as_tensor(a)
    t[0] = 5
    assert a[0] == 5 and cr.as_tensor(t) is t
    assert cr.as_tensor(a, dtype=cr.float64).dtype == cr.float64 and a.dtype == np.float32
    assert cr.as_tensor([1, 2]).dtype == cr.int64
    assert cr.asarray(a, copy=True)._data is not a


def test_clip_grad_norm_returns_the_norm_as_a_tensor():
    w = cr.ones(4, requires_grad=True)
    (w * 3).sum().backward()
    norm = cr.nn.utils.clip_grad_norm_(w, 1.0)
    assert isinstance(norm, cr.Tensor) and norm.item() == pytest.approx(6.0)
    assert np.linalg.norm(w.grad.numpy()) == pytest.approx(1.0, rel=1e-5)
    torch = pytest.importorskip("torch")
    tw = torch.ones(4, requires_grad=True)
    (tw * 3).sum().backward()
    assert torch.nn.utils.clip_grad_norm_(tw, 1.0).item() == pytest.approx(norm.item())


def test_parameters_to_vector_and_back():
    lin = cr.nn.Linear(3, 2)
    vec = cr.nn.utils.parameters_to_vector(lin.parameters())
    assert vec.shape == (8,)
    cr.nn.utils.vector_to_parameters(cr.arange(8.0), lin.parameters())
    assert lin.weight.detach().numpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    assert isinstance(lin.weight, cr.nn.Parameter) and lin.bias.tolist() == [6.0, 7.0]
    with pytest.raises(RuntimeError, match="vector_to_parameters"):
        cr.nn.utils.vector_to_parameters(cr.zeros(3), lin.parameters())


def test_thread_and_determinism_switches():
    pytest.importorskip("threadpoolctl")
    before = cr.get_num_threads()
    cr.set_num_threads(1)
    assert cr.get_num_threads() == 1
    cr.set_num_threads(before)
    with pytest.raises(ValueError):
        cr.set_num_threads(0)
    cr.use_deterministic_algorithms(True)
    assert cr.are_deterministic_algorithms_enabled()
    cr.use_deterministic_algorithms(False)


def test_clip_grad_norm_clips_parameters_given_as_a_generator():
    lin = cr.nn.Linear(3, 1)
    lin(cr.ones(1, 3) * 100).sum().backward()
    cr.nn.utils.clip_grad_norm_(lin.parameters(), 0.5)
    total = np.sqrt(sum((p.grad.numpy() ** 2).sum() for p in lin.parameters()))
    assert total == pytest.approx(0.5, rel=1e-4)
