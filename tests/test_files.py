"""The files chainrule writes: DOT graphs (names cannot inject statements) and safetensors
checkpoints (atomic, refused at save when they could not be read back, explained at load
when damaged)."""
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.errors import OpError

st = pytest.importorskip("safetensors.numpy")

# ---------------------------------------------------------------------------------------------
# DOT

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|->|[A-Za-z_][A-Za-z_0-9]*|-?[0-9.]+|[{}\[\]=,;]|\s+',
                    re.S)


def tokens(text):
    """DOT text as tokens (quoted strings whole), failing on anything the grammar lacks."""
    out, pos = [], 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        assert m, f"not DOT at {text[pos:pos + 30]!r}"
        if not m.group().isspace():
            out.append(m.group())
        pos = m.end()
    return out


def statements(text):
    """The statements of a ``digraph ID { ... }``, each a list of tokens."""
    toks = tokens(text)
    assert toks[:3] == ["digraph", "chainrule", "{"] and toks[-1] == "}"
    body, stmts, current = toks[3:-1], [], []
    for t in body:
        assert t not in "{}", "a brace inside the body: a statement escaped its string"
        if t == ";":
            stmts.append(current)
            current = []
        else:
            current.append(t)
    assert current == []
    return stmts


def unquote(token):
    """What Graphviz shows for a quoted string (our labels use only these escapes)."""
    assert token[0] == token[-1] == '"'
    return re.sub(r'\\(.)', lambda m: "\n" if m.group(1) == "n" else m.group(1), token[1:-1])


def kind(stmt):
    """Reduce a statement to its shape, with every quoted string replaced by STR."""
    return tuple("STR" if t.startswith('"') else t for t in stmt)


def labels(stmts):
    return [unquote(s[s.index("label") + 2]) for s in stmts if "label" in s]


EVIL = ['x"]; evil [label="', 'a\\', 'a\\"; n0 -> n1; "', "line1\nline2", "\\N\\G",
        "}; digraph x {", "tab\there", 'quote " and \\" both', "cr\r\nlf"]


def graph(name):
    x = cr.tensor([1.0, 2.0], requires_grad=True, name=name)
    w = cr.tensor([3.0, 4.0], requires_grad=True, name="w")
    return (x * w + x).sum()


@pytest.mark.parametrize("name", EVIL, ids=range(len(EVIL)))
def test_a_malicious_name_stays_inside_its_label(name):
    evil, plain = cr.viz.graph_to_dot(graph(name)), cr.viz.graph_to_dot(graph("x"))
    ours, reference = statements(evil), statements(plain)
    # exactly the statements of the same graph with a harmless name, of the same shapes
    assert [kind(s) for s in ours] == [kind(s) for s in reference]
    # the name is shown whole, in one label, and nowhere else
    shown = name.replace("\r\n", "\n").replace("\r", "\n")
    assert labels(ours).count(f"{shown}\n(2,) float32") == 1
    assert [lab for lab in labels(ours) if lab not in labels(reference)] == \
        [f"{shown}\n(2,) float32"]
    for stmt in ours:
        for t in stmt:
            assert t.startswith('"') or t in ("->", "[", "]", "=", ",") or \
                t in ("rankdir", "BT", "node", "label", "shape", "style", "fillcolor",
                      "fontname", "fontsize", "ellipse", "box", "bold", "filled", "10"), t


def test_draw_graph_writes_the_escaped_text(tmp_path):
    name = 'x"]; evil [label="'
    dot = cr.draw_graph(graph(name), tmp_path / "g.dot")
    assert (tmp_path / "g.dot").read_text(encoding="utf-8") == dot
    assert "evil [" not in dot.replace('\\"]; evil [', "")  # only inside the label
    assert len(statements(dot)) == len(statements(cr.viz.graph_to_dot(graph("x"))))


def test_labels_and_ids_are_quoted():
    stmts = statements(cr.viz.graph_to_dot(graph("x")))
    for stmt in stmts:
        if stmt[0] not in ("rankdir", "node"):
            assert stmt[0].startswith('"')  # every id quoted
            if stmt[1] == "->":
                assert stmt[2].startswith('"')
    assert "x\n(2,) float32" in labels(stmts)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
@pytest.mark.parametrize("name", EVIL, ids=range(len(EVIL)))
def test_graphviz_reads_the_graph_we_meant(name):
    """Graphviz's own parser sees the same nodes, edges and labels as with a plain name."""
    def parse(dot):
        out = subprocess.run(["dot", "-Tjson0"], input=dot.encode(), capture_output=True,
                             check=True)
        parsed = json.loads(out.stdout)
        decode = lambda label: re.sub(r"\\(.)",  # escString: backslash escapes
                                      lambda m: "\n" if m.group(1) == "n" else m.group(1),
                                      label)
        return ([o["name"] for o in parsed["objects"]], len(parsed["edges"]),
                [decode(o["label"]) for o in parsed["objects"]])

    names, edges, shown = parse(cr.viz.graph_to_dot(graph(name)))
    ref_names, ref_edges, ref_shown = parse(cr.viz.graph_to_dot(graph("x")))
    assert (names, edges) == (ref_names, ref_edges)
    expected = name.replace("\r\n", "\n").replace("\r", "\n") + "\n(2,) float32"
    assert [s for s in shown if s not in ref_shown] == [expected]


# ---------------------------------------------------------------------------------------------
# save: round trips

def assert_same(a, b):
    """b is a as it came back from a file: same types, keys, values, dtypes and shapes."""
    if isinstance(a, dict):  # an OrderedDict (a state_dict) comes back as one, as in PyTorch
        assert type(b) is type(a) and list(a) == list(b)
        assert [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            assert_same(a[k], b[k])
        return
    assert type(a) is type(b), (a, b)
    if isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            assert_same(x, y)
    elif isinstance(a, cr.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.array_equal(a.detach().numpy(), b.numpy())
    elif isinstance(a, np.ndarray):  # (a big-endian array comes back little-endian)
        assert a.dtype.newbyteorder("=") == b.dtype.newbyteorder("=") and a.shape == b.shape
        assert np.array_equal(a, b)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def test_nested_round_trip(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    obj = {
        "model": model.state_dict(),  # keys with dots, nested: fine, the tree records them
        "step": 7, 3: "int key", True: None, "nan": float("nan"), "inf": -float("inf"),
        "list": [cr.tensor(1.5), np.arange(6).reshape(2, 3)[:, 1], (1, "two", [3.0])],
        "empty": {}, "emptylist": [], "bools": np.array([True, False]),
        "big_endian": np.arange(3, dtype=">f4"), "npscalar": np.float32(2.5),
        "str with . and \" and \\": "ok",
    }
    cr.save(obj, tmp_path / "ckpt.safetensors")
    back = cr.load(tmp_path / "ckpt.safetensors")
    expected = dict(obj)  # (a NumPy scalar stays one, as in PyTorch)
    expected["list"] = [obj["list"][0], np.array([1, 4]), obj["list"][2]]
    assert_same(expected, back)


def test_flat_state_dict_keeps_its_names_for_other_readers(tmp_path):
    sd = nn.Linear(3, 2).state_dict()
    cr.save(sd, tmp_path / "m.safetensors")
    raw = st.load_file(str(tmp_path / "m.safetensors"))
    assert sorted(raw) == sorted(sd)
    assert np.array_equal(raw["weight"], sd["weight"].detach().numpy())


def test_an_object_without_tensors_round_trips(tmp_path):
    # (safetensors 0.3.0 to 0.4.3 wrote such a file unreadably: hence the pinned minimum)
    for obj in ({"epoch": 3, "lrs": [0.1, 0.01]}, {}, [], 7, None, "text"):
        cr.save(obj, tmp_path / "meta.safetensors")
        assert_same(obj, cr.load(tmp_path / "meta.safetensors"))


def test_a_plain_safetensors_file_loads_as_a_dict(tmp_path):
    st.save_file({"a": np.ones(2, np.float32)}, str(tmp_path / "plain.safetensors"))
    back = cr.load(tmp_path / "plain.safetensors")
    assert list(back) == ["a"] and back["a"].tolist() == [1.0, 1.0]


# ---------------------------------------------------------------------------------------------
# save: atomic

def write_old(path):
    cr.save({"w": cr.tensor([1.0, 2.0])}, path)
    return path.read_bytes()


def boom(*args, **kwargs):
    raise OSError("disk on fire")


@pytest.mark.parametrize("where", ["serialize", "fsync", "replace", "write"])
def test_failed_save_keeps_the_old_file_and_leaves_no_temporary(tmp_path, monkeypatch, where):
    path = tmp_path / "model.safetensors"
    old = write_old(path)
    if where == "serialize":
        monkeypatch.setattr(st, "save", boom)
    elif where == "fsync":  # the temporary file is written when this fails
        monkeypatch.setattr(os, "fsync", boom)
    elif where == "replace":
        monkeypatch.setattr(os, "replace", boom)
    else:
        import builtins
        real_open = builtins.open

        class HalfWriter:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[:len(data) // 2])  # half of it, then the disk fills
                raise OSError("No space left on device")

        monkeypatch.setattr(builtins, "open",
                            lambda *a, **k: HalfWriter(real_open(*a, **k)) if
                            isinstance(a[0], int) else real_open(*a, **k))
    with pytest.raises((OSError, OpError)):
        cr.save({"w": cr.tensor([5.0, 6.0, 7.0])}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert path.read_bytes() == old
    assert cr.load(path)["w"].tolist() == [1.0, 2.0]


def test_a_refused_object_leaves_the_old_file(tmp_path):
    path = tmp_path / "model.safetensors"
    old = write_old(path)
    with pytest.raises(TypeError):
        cr.save({"w": cr.tensor([1.0]), "bad": {"x": object()}}, path)
    assert os.listdir(tmp_path) == ["model.safetensors"] and path.read_bytes() == old


def test_save_syncs_the_file_and_the_folder_then_renames(tmp_path, monkeypatch):
    synced, real_fsync = [], os.fsync

    def record(fd):
        synced.append(os.path.isdir(f"/proc/self/fd/{fd}") if sys.platform == "linux" else None)
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", record)
    # the bytes come from safetensors.numpy.save, whatever save_file does in this version
    monkeypatch.setattr(st, "save_file", boom)
    cr.save({"w": cr.tensor([1.0])}, tmp_path / "m.safetensors")
    assert len(synced) == (1 if os.name == "nt" else 2)
    if sys.platform == "linux":
        assert synced == [False, True]  # the file first, then the directory
    assert os.listdir(tmp_path) == ["m.safetensors"]


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions and symlinks")
def test_save_keeps_the_mode_and_follows_symlinks(tmp_path):
    path = tmp_path / "m.safetensors"
    path.write_bytes(b"")
    default_mode = path.stat().st_mode & 0o777  # what a plain open() gives here (umask)
    path.unlink()
    cr.save({"w": cr.tensor([1.0])}, path)
    assert path.stat().st_mode & 0o777 == default_mode  # not mkstemp's 0o600
    path.chmod(0o640)
    cr.save({"w": cr.tensor([2.0])}, path)
    assert path.stat().st_mode & 0o777 == 0o640
    link = tmp_path / "latest.safetensors"
    link.symlink_to(path)
    cr.save({"w": cr.tensor([3.0])}, link)
    assert link.is_symlink() and cr.load(path)["w"].tolist() == [3.0]
    assert sorted(os.listdir(tmp_path)) == ["latest.safetensors", "m.safetensors"]


# ---------------------------------------------------------------------------------------------
# save: what cannot round-trip is refused, naming it

@pytest.mark.parametrize("obj, error, match", [
    # (float, tuple and None keys round-trip, as in PyTorch: tests/test_serialization_state.py)
    ({"opt": {cr.ones(1): 1.5}}, TypeError, r"the key tensor\(\[1\.\]\) of obj\['opt'\] is a "
     r"Tensor"),
    ({(1, cr.ones(1)): 3}, TypeError, r"the key tensor\(\[1\.\]\) of obj\[\(1, tensor"),
    ({"a": {nn.ReLU(): 1}}, TypeError, r"key ReLU\(\) of obj\['a'\] is a ReLU"),
    ({"a.b": cr.ones(1), "a": {"b": cr.ones(2)}}, ValueError,
     r"obj\['a'\]\['b'\] and obj\['a.b'\] would both be stored as the tensor 'a.b'"),
    ({1: cr.ones(1), "1": cr.ones(1)}, ValueError, r"obj\['1'\] and obj\[1\] would both"),
    ({"x": [cr.ones(1)], "x.0": np.ones(1)}, ValueError, r"stored as the tensor 'x.0'"),
    ({"__metadata__": cr.ones(1)}, ValueError, "reserves for its header"),
    ({"a": {"__metadata__": 1}, "__metadata__": np.ones(1)}, ValueError, "reserves"),
    # (sets and complex numbers round-trip, as in PyTorch)
    ({"s": range(2)}, TypeError, r"cannot store obj\['s'\], of type range"),
    ({"c": slice(1)}, TypeError, r"cannot store obj\['c'\], of type slice"),
    ({"f": [lambda: 0]}, TypeError, r"cannot store obj\['f'\]\[0\], of type function"),
    ({"o": np.array([object()])}, TypeError, r"obj\['o'\] is an array of dtype object"),
    ({"u": np.array(["abc"])}, TypeError, r"obj\['u'\] is an array of dtype <U3"),
    (object(), TypeError, "cannot store the object, of type object"),
])
def test_save_refuses_what_would_not_round_trip(tmp_path, obj, error, match):
    with pytest.raises(error, match=match):
        cr.save(obj, tmp_path / "x.safetensors")
    assert os.listdir(tmp_path) == []


def test_save_refuses_a_cycle(tmp_path):
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match=r"obj\['a'\]\[0\] contains itself"):
        cr.save(loop, tmp_path / "x.safetensors")
    shared = [1, 2]
    cr.save({"a": shared, "b": shared}, tmp_path / "ok.safetensors")  # sharing is not a cycle
    assert cr.load(tmp_path / "ok.safetensors") == {"a": [1, 2], "b": [1, 2]}


# ---------------------------------------------------------------------------------------------
# load: damaged metadata is explained

def write_raw(path, meta, arrays=None):
    arrays = {"w": np.ones(2, np.float32)} if arrays is None else arrays
    path.write_bytes(st.save(arrays, metadata={"chainrule": meta}))
    return path


@pytest.mark.parametrize("meta, match", [
    ('{"__dict__": [["w", ', "not valid JSON"),
    ("", "not valid JSON"),
    ("[1, 2]", "obj is a list, which save never writes"),
    ('{"weights": 1}', "obj is an entry of unknown kind"),
    ('{"__dict__": {"w": 1}}', "obj is a malformed dict"),
    ('{"__dict__": [["w"]]}', "malformed dict item"),
    ('{"__dict__": [[["w"], 1]]}', r"dict key \['w'\] that save never writes"),
    ('{"__dict__": [[{"__int__": "x"}, 1]]}', "dict key"),
    ('{"__list__": 5}', "malformed list"),
    ('{"__dict__": [["v", {"__tensor__": "v", "shape": [2]}]]}',
     r"obj\['v'\] refers to the tensor 'v', which is not in the file"),
    ('{"__tensor__": "w", "shape": [3]}', r"says shape \(3,\), but the tensor 'w' has 2"),
    ('{"__tensor__": "w", "shape": [-2, -1]}', "invalid shape"),
    ('{"__tensor__": "w", "shape": "2"}', "invalid shape"),
    ('{"__tensor__": "w"}', "malformed tensor entry"),
    ('{"__array__": 7, "shape": [2]}', "malformed tensor entry"),
    ('{"__tuple__": [{"__list__": [{"__bogus__": 1}]}]}', r"obj\[0\]\[0\] is an entry of unknown"),
    ("[" * 100000 + "]" * 100000, "corrupt chainrule metadata"),
])
def test_corrupt_metadata_is_a_readable_error(tmp_path, meta, match):
    path = write_raw(tmp_path / "bad.safetensors", meta)
    with pytest.raises(OpError, match=match) as info:
        cr.load(path)
    message = str(info.value)
    assert str(path) in message and "corrupt chainrule metadata" in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, RuntimeError)
    assert not isinstance(info.value, (KeyError, json.JSONDecodeError))


def test_a_file_that_is_not_safetensors(tmp_path):
    path = tmp_path / "junk.safetensors"
    path.write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00not json")
    with pytest.raises(OpError, match=f"{re.escape(str(path))} is not a readable safetensors"):
        cr.load(path)
    with pytest.raises(FileNotFoundError):
        cr.load(tmp_path / "missing.safetensors")
