"""cr.save / cr.load as PyTorch users expect: paths and file objects, any nested training
state round-tripping exactly, whole Modules through an allowlist, clear errors."""
import io
import math
import pickle
from collections import Counter, OrderedDict

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import OpError, OpTypeError
from chainrule.serialization import (UnpicklingError, add_safe_globals, clear_safe_globals,
                                     get_safe_globals, get_unsafe_globals_in_checkpoint, load,
                                     safe_globals, save)

pytest.importorskip("safetensors.numpy")

INITS = []


class MyNet(nn.Module):
    """A user's model: its __init__ must not run on load."""

    def __init__(self):
        super().__init__()
        INITS.append(self)
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.Tanh()
        self.fc2 = nn.Linear(4, 4)
        self.register_buffer("scale", cr.tensor([2.0]))
        self.cfg = {"depth": 2, "names": ("a", "b"), 3: None}
        self.kind = cr.float32
        self.where = cr.device("cpu")

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x))) * self.scale


class Helper:
    pass


@pytest.fixture(autouse=True)
def clean_allowlist():
    before = get_safe_globals()
    clear_safe_globals()
    yield
    clear_safe_globals()
    add_safe_globals(before)


def same(a, b):
    """b is a as it came back: same types (exactly), keys, values, dtypes, shapes, flags."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            same(x, y)
    elif isinstance(a, cr.Tensor):
        assert (a.dtype, a.shape, a.requires_grad, a.name) == \
            (b.dtype, b.shape, b.requires_grad, b.name)
        assert b.is_leaf and np.array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b)
    else:
        assert a == b


def state():
    return {
        "epoch": 4, "loss": 0.125, "losses": [1.5, 0.5, float("nan"), -float("inf")],
        "best": None, "done": False, "name": "run-1", 7: "int key", True: "bool key",
        2.5: "float key", None: "none key", (1, "a"): "tuple key",
        "sd": OrderedDict([("w", cr.randn(2, 3)), ("b", cr.zeros(3, dtype=cr.float64))]),
        "grad": cr.tensor([1.0, 2.0], requires_grad=True, name="w0"),
        "param": nn.Parameter(cr.ones(2, 2)),
        "frozen": nn.Parameter(cr.ones(1), requires_grad=False),
        "ints": cr.tensor([[1, 2]], dtype=cr.int64), "flags": cr.tensor([True, False]),
        "empty": cr.zeros(0, 3), "scalar": cr.tensor(3.0),
        "np": np.arange(6, dtype=np.int16).reshape(2, 3), "npf": np.float32(0.1),
        "npi": np.int64(-3), "npb": np.bool_(True), "npc": np.complex64(1 - 2j),
        "c": 1 + 2j, "set": {1, 2, "x"}, "fs": frozenset({(1, 2)}), "bytes": b"\x00\xff",
        "ba": bytearray(b"ab"), "dtype": cr.float16, "dev": cr.device("cpu"),
        "counts": Counter({"a": 2}), "nested": ({"deep": [(cr.ones(1),)]}, []),
    }


def round_trip(obj, how, tmp_path, **load_kwargs):
    if how == "path":
        save(obj, tmp_path / "x.pt")
        return load(tmp_path / "x.pt", **load_kwargs)
    if how == "str":
        save(obj, str(tmp_path / "x.pt"))
        return load(str(tmp_path / "x.pt"), **load_kwargs)
    if how == "open":
        with open(tmp_path / "x.pt", "wb") as f:
            save(obj, f)
        with open(tmp_path / "x.pt", "rb") as f:
            return load(f, **load_kwargs)
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    return load(buffer, **load_kwargs)


HOW = ["path", "str", "open", "bytesio"]


@pytest.mark.parametrize("how", HOW)
def test_nested_state_round_trips_exactly(tmp_path, how):
    obj = state()
    same(obj, round_trip(obj, how, tmp_path))


@pytest.mark.parametrize("obj", [cr.tensor([1.0, 2.0], requires_grad=True), None, 3, "s",
                                 [], {}, OrderedDict(), nn.Parameter(cr.zeros(2))])
def test_top_level_values(tmp_path, obj):
    same(obj, round_trip(obj, "bytesio", tmp_path))


def test_loaded_arrays_are_writable_and_own_their_memory(tmp_path):
    back = round_trip({"p": nn.Parameter(cr.ones(3)), "a": np.zeros(2)}, "bytesio", tmp_path)
    back["p"]._data[0] = 5.0
    back["a"][1] = 1.0
    assert back["p"].tolist() == [5.0, 1.0, 1.0] and back["a"].tolist() == [0.0, 1.0]


def test_a_tensor_met_twice_comes_back_as_one(tmp_path):
    t, a = cr.ones(2), np.ones(3)
    back = round_trip({"x": [t, a], "y": (t, a)}, "bytesio", tmp_path)
    assert back["x"][0] is back["y"][0] and back["x"][1] is back["y"][1]


def test_a_stream_holds_several_files(tmp_path):
    buffer = io.BytesIO()
    save({"a": 1}, buffer)
    save(cr.ones(2), buffer)
    save([2, "b"], buffer)
    buffer.seek(0)
    assert load(buffer) == {"a": 1} and load(buffer).tolist() == [1.0, 1.0]
    assert load(buffer) == [2, "b"]


def test_saving_to_a_file_object_writes_there_without_a_temporary(tmp_path):
    with open(tmp_path / "f.pt", "wb") as f:
        f.write(b"prefix")
        save({"w": cr.ones(1)}, f)
    data = (tmp_path / "f.pt").read_bytes()
    assert data.startswith(b"prefix") and len(data) > 20
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.pt"]
    with open(tmp_path / "f.pt", "rb") as f:
        f.read(6)
        assert load(f)["w"].tolist() == [1.0]


def test_text_mode_and_wrong_kinds_of_f(tmp_path):
    with open(tmp_path / "t.txt", "w") as f:
        with pytest.raises(OpTypeError, match="text mode.*'wb'"):
            save({}, f)
    save({}, tmp_path / "t.txt")
    with open(tmp_path / "t.txt") as f:
        with pytest.raises(OpTypeError, match="text mode.*'rb'"):
            load(f)
    with pytest.raises(OpTypeError, match="must be a path .* got int"):
        save({}, 3)
    with pytest.raises(OpTypeError, match="must be a path .* got list"):
        load([])


# ---------------------------------------------------------------------------------------------
# a training checkpoint

def batches(n):
    rng = np.random.default_rng(0)
    return [(cr.tensor(rng.standard_normal((8, 3)).astype(np.float32)),
             cr.tensor(rng.standard_normal((8, 4)).astype(np.float32))) for _ in range(n)]


def train(model, opt, data):
    losses = []
    for x, y in data:
        opt.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def make():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 4))
    return model, cr.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)


@pytest.mark.parametrize("how", ["path", "bytesio"])
def test_model_and_optimizer_checkpoint_resumes_training_identically(tmp_path, how):
    data = batches(6)
    model, opt = make()
    train(model, opt, data[:3])
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3,
            "loss": 0.5}
    back = round_trip(ckpt, how, tmp_path)
    same(ckpt, back)
    assert isinstance(back["optimizer"]["state"][0]["exp_avg"], np.ndarray)
    model2, opt2 = make()
    model2.load_state_dict(back["model"])
    opt2.load_state_dict(back["optimizer"])
    assert train(model, opt, data[3:]) == train(model2, opt2, data[3:])
    for p, q in zip(model.parameters(), model2.parameters()):
        assert np.array_equal(p.detach().numpy(), q.detach().numpy())


# ---------------------------------------------------------------------------------------------
# whole modules

def test_a_builtin_module_loads_without_asking(tmp_path):
    model, opt = make()
    train(model, opt, batches(2))
    model.eval()
    back = round_trip(model, "bytesio", tmp_path)
    assert type(back) is nn.Sequential and not back.training
    assert all(type(p) is nn.Parameter for p in back.parameters())
    same(model.state_dict(), back.state_dict())
    x = cr.randn(5, 3)
    assert np.array_equal(model(x).detach().numpy(), back(x).detach().numpy())


def test_a_custom_module_is_refused_unless_allowed(tmp_path):
    model = MyNet()
    buffer = io.BytesIO()
    save({"model": model, "epoch": 1}, buffer)
    for weights_only in (None, True, False):
        buffer.seek(0)
        with pytest.raises(UnpicklingError) as info:
            load(buffer, weights_only=weights_only)
        message = str(info.value)
        assert "test_serialization_state.MyNet" in message and "obj['model']" in message
        assert "add_safe_globals([MyNet])" in message and "safe_globals" in message
        assert isinstance(info.value, pickle.UnpicklingError) and isinstance(info.value, OpError)
    assert "never runs code" in message  # (weights_only=False)
    buffer.seek(0)
    assert get_unsafe_globals_in_checkpoint(buffer) == ["test_serialization_state.MyNet"]


@pytest.mark.parametrize("how", HOW)
def test_a_custom_module_round_trips_when_allowed_without_running_its_code(tmp_path, how):
    model = MyNet()
    model.fc1.weight.grad = cr.ones(4, 3)  # (not saved, as in PyTorch)
    INITS.clear()
    with safe_globals([MyNet]):
        back = round_trip(model, how, tmp_path)
    assert INITS == [] and type(back) is MyNet
    assert set(vars(back)) == set(vars(model))
    same(model.state_dict(), back.state_dict())
    same(model.cfg, back.cfg)
    assert back.kind == cr.float32 and type(back.where) is cr.device
    assert [type(m) for m in back.modules()] == [MyNet, nn.Linear, nn.Tanh, nn.Linear]
    assert back.fc1.weight.grad is None and back.fc1.weight.requires_grad
    x = cr.randn(2, 3)
    assert np.array_equal(model(x).detach().numpy(), back(x).detach().numpy())
    # it trains
    opt = cr.optim.SGD(back.parameters(), lr=0.1)
    before = back.fc1.weight.detach().numpy().copy()
    back(x).sum().backward()
    opt.step()
    assert not np.array_equal(before, back.fc1.weight.detach().numpy())


def test_add_safe_globals_and_the_context_manager_restore(tmp_path):
    save(MyNet(), tmp_path / "m.pt")
    with safe_globals([MyNet]):
        assert get_safe_globals() == [MyNet]
        assert type(load(tmp_path / "m.pt")) is MyNet
    assert get_safe_globals() == []
    with pytest.raises(pickle.UnpicklingError):
        load(tmp_path / "m.pt")
    add_safe_globals([(MyNet, "test_serialization_state.MyNet")])
    assert get_unsafe_globals_in_checkpoint(tmp_path / "m.pt") == []
    assert type(load(tmp_path / "m.pt")) is MyNet
    clear_safe_globals()
    with pytest.raises(UnpicklingError):
        load(tmp_path / "m.pt")
    with pytest.raises(OpTypeError, match="not a class or function"):
        add_safe_globals([3])


def test_an_allowed_name_that_is_not_a_module_class_is_refused(tmp_path):
    buffer = io.BytesIO()
    save(MyNet(), buffer)
    buffer.seek(0)
    with safe_globals([(len, "test_serialization_state.MyNet")]):
        with pytest.raises(OpError, match="says test_serialization_state.MyNet is a Module "
                                          "class, but it is not"):
            load(buffer)


def test_tied_and_shared_modules_stay_shared(tmp_path):
    model = MyNet()
    model.fc2.weight = nn.Parameter(cr.ones(4, 4))
    model.head = model.fc2  # the same module twice
    model.fc1.bias = model.fc2.bias  # a tied parameter
    with safe_globals([MyNet]):
        back = round_trip(model, "bytesio", tmp_path)
    assert back.head is back.fc2 and back.fc1.bias is back.fc2.bias
    assert len(list(back.parameters())) == len(list(model.parameters()))


def test_classes_and_functions_as_values_need_the_allowlist(tmp_path):
    from chainrule.nn import functional as F
    obj = {"act": F.relu, "cls": nn.Linear, "helper": Helper}
    buffer = io.BytesIO()
    save(obj, buffer)
    buffer.seek(0)
    with pytest.raises(UnpicklingError, match="test_serialization_state.Helper.*"
                                              r"add_safe_globals\(\[Helper\]\)"):
        load(buffer)
    buffer.seek(0)
    with safe_globals([Helper]):
        assert load(buffer) == obj


def test_a_class_that_cannot_be_found_by_name_is_refused_at_save(tmp_path):
    class Local(nn.Module):
        pass

    with pytest.raises(OpTypeError, match=r"obj\['m'\], a .*Local: its class cannot be found"):
        save({"m": Local()}, tmp_path / "x.pt")
    model = MyNet()
    model.fn = lambda x: x
    with pytest.raises(OpTypeError, match=r"cannot store obj\.fn, of type function"):
        save(model, tmp_path / "x.pt")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------------------------
# load's arguments

def test_map_location_and_the_other_torch_arguments(tmp_path):
    save({"w": cr.ones(2)}, tmp_path / "x.pt")
    for where in ("cpu", cr.device("cpu"), {"cuda:0": "cpu"}, None):
        out = load(tmp_path / "x.pt", map_location=where, weights_only=True, mmap=True,
                   encoding="latin1")
        assert out["w"].tolist() == [1.0, 1.0]
    with pytest.raises(NotImplementedError, match="CUDA"):
        load(tmp_path / "x.pt", map_location="cuda")
    with pytest.raises(OpTypeError, match="map_location must be a device"):
        load(tmp_path / "x.pt", map_location=lambda storage, loc: storage)
    with pytest.raises(OpTypeError, match="pickle_module"):
        load(tmp_path / "x.pt", pickle_module=object())
    with pytest.raises(TypeError, match="unexpected keyword"):
        load(tmp_path / "x.pt", bogus=1)
    assert load(tmp_path / "x.pt", pickle_module=pickle)["w"].shape == (2,)
    save([1], tmp_path / "y.pt", pickle_module=pickle, pickle_protocol=4)
    assert load(tmp_path / "y.pt") == [1]


# ---------------------------------------------------------------------------------------------
# errors

@pytest.mark.parametrize("obj, match", [
    ({"opt": {"state": {0: object()}}}, r"cannot store obj\['opt'\]\['state'\]\[0\], of type "
                                        r"object"),
    ({"opt": {"state": {0: {"step": range(3)}}}},
     r"obj\['opt'\]\['state'\]\[0\]\['step'\], of type range"),
    ({"d": __import__("collections").defaultdict(list)},
     r"obj\['d'\], of type defaultdict \(convert it with dict"),
    ({"l": [np.ma.masked_array([1])]}, r"obj\['l'\]\[0\], an array of class MaskedArray"),
    ({"s": {cr.ones(1)}}, r"the key tensor\(\[1\.\]\) of obj\['s'\] is a Tensor"),
    ({"n": np.datetime64("2020")}, r"obj\['n'\], a NumPy scalar of dtype datetime64"),
    ({"t": np.dtype([("a", "f4")])}, r"obj\['t'\], the structured dtype"),
])
def test_unsupported_values_are_named_with_their_path(tmp_path, obj, match):
    with pytest.raises(OpTypeError, match=match):
        save(obj, tmp_path / "x.pt")
    with pytest.raises(OpTypeError, match=match):
        save(obj, io.BytesIO())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("data, match", [
    (b"", "does not start with a safetensors header"),
    (b"PK\x03\x04 a zip file from torch.save", "does not start with a safetensors header"),
    (b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all", "header is damaged"),
    (b"\x02\x00\x00\x00\x00\x00\x00\x00[]", "header is damaged"),
])
def test_a_file_that_is_not_chainrule_or_is_damaged(tmp_path, data, match):
    (tmp_path / "bad.pt").write_bytes(data)
    with pytest.raises(OpError, match=match):
        load(tmp_path / "bad.pt")
    with pytest.raises(OpError, match=match):
        load(io.BytesIO(data))


def test_a_truncated_file(tmp_path):
    buffer = io.BytesIO()
    save({"w": cr.ones(100)}, buffer)
    data = buffer.getvalue()
    for cut in (len(data) - 1, len(data) // 2, 12):
        with pytest.raises(OpError, match="the file object is not a readable safetensors"):
            load(io.BytesIO(data[:cut]))


def test_damaged_chainrule_metadata(tmp_path):
    import safetensors.numpy as st
    for meta, match in [('{"__ref__": 0}', "refers to an object that is not in the file"),
                        ('{"__module__": ["x"], "attrs": []}', "malformed module entry"),
                        ('{"__npscalar__": "<f4", "value": "a"}', "malformed NumPy scalar"),
                        ('{"__npscalar__": "<M8", "value": 1}', "dtype datetime64"),
                        ('{"__dtype__": "not a dtype"}', "malformed dtype"),
                        ('{"__bytes__": "!!"}', "malformed bytes"),
                        ('{"__device__": "tpu"}', "malformed device"),
                        ('{"__set__": [{"__list__": []}]}', "set of unhashable items"),
                        ('{"__tensor__": "w", "shape": [2], "requires_grad": 1}',
                         "malformed tensor entry"),
                        ('{"__dict__": [[{"__key__": {"__list__": []}}, 1]]}',
                         "unhashable dict key")]:
        data = st.save({"w": np.ones(2, np.float32)}, metadata={"chainrule": meta})
        with pytest.raises(OpError, match=match):
            load(io.BytesIO(data))


def test_int_tensor_that_claims_to_require_grad_is_damage(tmp_path):
    import safetensors.numpy as st
    data = st.save({"w": np.ones(2, np.int64)}, metadata={
        "chainrule": '{"__tensor__": "w", "shape": [2], "requires_grad": true}'})
    with pytest.raises(OpError, match="requires grad with dtype int64"):
        load(io.BytesIO(data))


# ---------------------------------------------------------------------------------------------
# the oracle: torch.save/torch.load(weights_only=True) give back the same Python types

def test_python_types_come_back_as_torch_gives_them(tmp_path):
    torch = pytest.importorskip("torch")
    obj = {"epoch": 4, 7: [1.5, None, True], 2.5: (1, "a"), None: {1, 2},
           "c": 1 + 2j, "od": OrderedDict(a=1), "counts": Counter("aab"), "b": b"x",
           "ba": bytearray(b"y"), (1, 2): frozenset()}
    obj.pop((1, 2))  # (frozenset is not on torch's weights_only list)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    theirs = torch.load(buffer, weights_only=True)
    same(theirs, round_trip(obj, "bytesio", tmp_path))
