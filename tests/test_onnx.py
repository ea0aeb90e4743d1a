"""chainrule.onnx.export: exported graphs pass the ONNX checker and onnxruntime agrees with
chainrule's outputs, for fixed and dynamic batch sizes."""
import io
import sys

import numpy as np
import pytest

import chainrule as cr
from chainrule.onnx import export

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
nn = cr.nn
F = cr.nn.functional

DYN = {"input": {0: "batch"}, "output": {0: "batch"}}


def _export(model, x, **kw):
    buf = io.BytesIO()
    export(model, x, buf, input_names=["input"], output_names=["output"], **kw)
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    return proto, ort.InferenceSession(buf.getvalue())


def _agree(model, session, x):
    got = session.run(None, {"input": x.numpy()})[0]
    ref = model(x).detach().numpy()
    assert got.shape == ref.shape and got.dtype == ref.dtype
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-5)


def test_mlp_to_path_and_dynamic_batch(tmp_path):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.5), nn.Linear(8, 8),
                          nn.Tanh(), nn.Sigmoid(), nn.GELU(), nn.LeakyReLU(0.1), nn.ELU(),
                          nn.SiLU(), nn.Identity(), nn.Linear(8, 3), nn.LogSoftmax(dim=1))
    path = tmp_path / "mlp.onnx"
    export(model, cr.randn(2, 4), str(path), input_names=["input"], output_names=["output"],
           dynamic_axes=DYN)
    assert model.training  # the mode is restored
    model.eval()
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto)
    assert {i.name for i in proto.graph.initializer} >= {"0.bias", "3.bias", "11.bias"}
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_param == "batch"
    session = ort.InferenceSession(str(path))
    for batch in (2, 7):
        _agree(model, session, cr.randn(batch, 4))


def test_cnn_dynamic_batch():
    cr.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Conv2d(4, 6, 3, stride=2, padding=1),
                          nn.AvgPool2d(2), nn.Flatten(), nn.Linear(6 * 2 * 2, 5),
                          nn.Softmax(dim=1))
    bn = model[1]
    bn.running_mean = cr.randn(4) * 0.1
    bn.running_var = cr.rand(4) + 0.5
    model.eval()
    proto, session = _export(model, cr.randn(2, 3, 16, 16), dynamic_axes=DYN)
    ops = {n.op_type for n in proto.graph.node}
    assert {"Conv", "MaxPool", "AveragePool", "Relu", "Gemm", "Reshape"} <= ops
    for batch in (2, 5):
        _agree(model, session, cr.randn(batch, 3, 16, 16))


def test_conv_variants_and_norms():
    cr.manual_seed(2)
    model = nn.Sequential(nn.Conv1d(3, 4, 3, dilation=2, groups=1),
                          nn.ConvTranspose1d(4, 2, 3, stride=2, output_padding=1),
                          nn.LayerNorm(18)).eval()
    _, session = _export(model, cr.randn(2, 3, 12), dynamic_axes=DYN)
    _agree(model, session, cr.randn(3, 3, 12))
    model = nn.Sequential(nn.Conv3d(2, 2, 3), nn.Flatten(), nn.Linear(2 * 27, 3)).eval()
    _, session = _export(model, cr.randn(2, 2, 5, 5, 5), dynamic_axes=DYN)
    _agree(model, session, cr.randn(4, 2, 5, 5, 5))
    model = nn.Sequential(nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1, output_padding=1),
                          nn.AdaptiveAvgPool2d(1), nn.Flatten()).eval()
    _, session = _export(model, cr.randn(2, 3, 5, 5), dynamic_axes=DYN)
    _agree(model, session, cr.randn(1, 3, 5, 5))


class _Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(6, 6)
        self.norm = nn.LayerNorm(6)
        self.register_buffer("shift", cr.arange(6.0) / 10)

    def forward(self, x):
        h = F.relu(self.fc(x)) * 2.0 + 1 - x.mean(dim=-1, keepdim=True) + self.shift
        h = self.norm(h).transpose(0, 1) @ x  # (6, 6)
        return F.softmax(h.reshape(-1) / 3.0, dim=0)


def test_custom_module_with_functional_calls():
    cr.manual_seed(3)
    model = _Custom().eval()
    proto, session = _export(model, cr.randn(3, 6))
    assert "shift" in {i.name for i in proto.graph.initializer}
    _agree(model, session, cr.randn(3, 6))  # another input of the traced shape


def test_embedding_int_input_dynamic_batch():
    cr.manual_seed(4)
    model = nn.Sequential(nn.Embedding(10, 4), nn.Flatten(), nn.Linear(8, 2)).eval()
    proto, session = _export(model, cr.tensor([[1, 2], [3, 9]]), dynamic_axes=DYN)
    assert "Gather" in {n.op_type for n in proto.graph.node}
    _agree(model, session, cr.tensor([[0, 5], [7, 7], [1, 1]]))


def test_model_returning_its_input():
    model = nn.Sequential(nn.Identity(), nn.Dropout()).eval()
    _, session = _export(model, cr.randn(2, 3))
    _agree(model, session, cr.randn(2, 3))


class _Cumsum(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(3, 3)

    def forward(self, x):
        return self.fc(x).cumsum(1)


def test_unsupported_primitive_raises_naming_it():
    model = nn.Sequential(nn.Linear(3, 3), _Cumsum())
    with pytest.raises(NotImplementedError, match=r"cumsum.*1 \(_Cumsum\)"):
        export(model, cr.randn(2, 3), io.BytesIO())


def test_bad_arguments():
    model = nn.Sequential(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="opset_version"):
        export(model, cr.randn(2, 3), io.BytesIO(), opset_version=5)
    with pytest.raises(ValueError, match="dynamic_axes"):
        export(model, cr.randn(2, 3), io.BytesIO(), dynamic_axes={"x": {0: "b"}})
    with pytest.raises(TypeError, match="args"):
        export(model, np.ones((2, 3)), io.BytesIO())


def test_without_onnx_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)
    with pytest.raises(ImportError, match=r"pip install chainrule\[onnx\]"):
        export(nn.Linear(2, 2), cr.randn(1, 2), io.BytesIO())
