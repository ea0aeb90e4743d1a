"""Indices are never wrapped, and the shape and creation ops raise readable errors: the
chainrule.errors class of PyTorch's type, with a message naming the op.

The oracle comparisons against PyTorch are in test_oracle_index_shape.py."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.autograd import gradcheck
from chainrule.errors import IndexOutOfRangeError, OpError, OpTypeError
from chainrule.ops import index as ix
from chainrule.ops import linalg as la
from chainrule.ops import shape as sh

X = cr.arange(6.0).reshape(2, 3)
S = cr.tensor(1.0)


def L(*values):
    """An int64 index tensor."""
    return cr.tensor(np.array(values, dtype=np.int64))


def L0(value):
    """A 0-d int64 index tensor."""
    return cr.tensor(np.array(value, dtype=np.int64))


# ----- indices out of range: never wrapped -------------------------------------------------
INDEX_CASES = [
    ("gather_negative", lambda: X.gather(1, L([-1], [0])), IndexOutOfRangeError,
     r"gather: index -1 is out of bounds for dimension 1 with size 3"),
    ("gather_past_end", lambda: X.gather(1, L([3], [0])), IndexOutOfRangeError,
     r"gather: index 3 .* dimension 1 with size 3"),
    ("gather_0d_input", lambda: cr.tensor(5.0).gather(0, L0(1)), IndexOutOfRangeError,
     r"gather: index 1 .* size 1"),
    ("gather_dim", lambda: X.gather(2, L([0], [0])), IndexOutOfRangeError, r"gather: dim 2"),
    ("gather_float_index", lambda: X.gather(1, cr.zeros(2, 1)), OpTypeError,
     r"gather: .*int32 or int64.*float32"),
    ("gather_ndim", lambda: X.gather(1, L(0, 1)), OpError, r"gather: the index has 1 dims"),
    ("gather_larger", lambda: X.gather(1, cr.zeros(3, 1, dtype=cr.int64)), OpError,
     r"gather: index of shape \(3, 1\) is larger"),
    ("index_select_negative", lambda: X.index_select(1, L(-1)), IndexOutOfRangeError,
     r"index_select: index -1 .* dimension 1 with size 3"),
    ("index_select_past_end", lambda: X.index_select(0, L(0, 2)), IndexOutOfRangeError,
     r"index_select: index 2 .* dimension 0 with size 2"),
    ("index_select_matrix", lambda: X.index_select(1, L([0])), IndexOutOfRangeError,
     r"index_select: the index must be a vector"),
    ("index_select_float", lambda: X.index_select(1, cr.tensor([0.0])), OpTypeError,
     r"index_select: .*float32"),
    ("index_select_0d_two", lambda: S.index_select(0, L(0, 0)), OpError,
     r"index_select: a 0-d input takes an index of exactly 1 entry"),
    ("index_select_dim", lambda: X.index_select(-3, L(0)), IndexOutOfRangeError,
     r"index_select: dim -3"),
    ("take_along_dim_negative", lambda: X.take_along_dim(L([-1], [0]), 1),
     IndexOutOfRangeError, r"take_along_dim: index -1 .* dimension 1 with size 3"),
    ("take_along_dim_flat", lambda: X.take_along_dim(L(6)), IndexOutOfRangeError,
     r"take_along_dim: index 6 .* dimension 0 with size 6"),
    ("take_along_dim_flat_negative", lambda: X.take_along_dim(L(-1)), IndexOutOfRangeError,
     r"take_along_dim: index -1"),
    ("take_along_dim_int32", lambda: X.take_along_dim(cr.zeros(2, 1, dtype=cr.int32), 1),
     OpTypeError, r"take_along_dim: .*int64, got int32"),
    ("take_along_dim_ndim", lambda: X.take_along_dim(L(0), 1), OpError,
     r"take_along_dim: the input has 2 dims but the indices have 1"),
    ("take_along_dim_broadcast", lambda: X.take_along_dim(cr.zeros(3, 1, dtype=cr.int64), 1),
     OpError, r"take_along_dim: .* do not broadcast"),
    ("take_along_dim_0d", lambda: S.take_along_dim(L0(0), 0), IndexOutOfRangeError,
     r"take_along_dim: .*0-d"),
    ("scatter_add_negative", lambda: ix.scatter_add(cr.zeros(2, 3), 1, L([-1], [0]),
                                                    cr.ones(2, 1)),
     IndexOutOfRangeError, r"scatter_add: index -1 .* dimension 1 with size 3"),
    ("scatter_add_past_end", lambda: ix.scatter_add(cr.zeros(2, 3), 0, L([2]), cr.ones(1, 1)),
     IndexOutOfRangeError, r"scatter_add: index 2 .* dimension 0 with size 2"),
    ("scatter_add_src_small", lambda: ix.scatter_add(cr.zeros(2, 3), 1, L([0, 0], [0, 0]),
                                                     cr.ones(2, 1)),
     OpError, r"scatter_add: index of shape \(2, 2\) is larger than the source"),
    ("scatter_add_dtype", lambda: ix.scatter_add(cr.zeros(2, 3), 1, L([0], [0]),
                                                 cr.ones(2, 1, dtype=cr.float64)),
     OpError, r"scatter_add: .*float32.*float64"),
    ("index_add_negative", lambda: ix.index_add(cr.zeros(2, 3), 1, L(-1), cr.ones(2, 1)),
     IndexOutOfRangeError, r"index_add: index -1 .* dimension 1 with size 3"),
    ("index_add_count", lambda: ix.index_add(cr.zeros(2, 3), 1, L(0), cr.ones(2, 2)),
     OpError, r"index_add: 1 indices but the source has 2"),
    ("index_add_shape", lambda: ix.index_add(cr.zeros(2, 3), 1, L(0), cr.ones(3, 1)),
     OpError, r"index_add: the source of shape \(3, 1\) must match"),
    ("getitem_int", lambda: X[2], IndexOutOfRangeError,
     r"index: index 2 is out of bounds for dimension 0 with size 2"),
    ("getitem_negative_int", lambda: X[-3], IndexOutOfRangeError, r"index: index -3"),
    ("getitem_second_dim", lambda: X[1, 5], IndexOutOfRangeError,
     r"index: index 5 .* dimension 1 with size 3"),
    ("getitem_tensor", lambda: X[L(2)], IndexOutOfRangeError, r"index: index 2"),
    ("getitem_tensor_negative", lambda: X[L(-3)], IndexOutOfRangeError, r"index: index -3"),
    ("getitem_list", lambda: X[[5]], IndexOutOfRangeError, r"index: index 5"),
    ("getitem_too_many", lambda: X[0, 0, 0], IndexOutOfRangeError, r"index: too many indices"),
    ("getitem_0d", lambda: S[0], IndexOutOfRangeError, r"index: .*0-dimensional"),
    ("getitem_mask", lambda: X[cr.tensor([True, False, True])], IndexOutOfRangeError,
     r"index: .*boolean index"),
    ("getitem_float", lambda: X[cr.tensor([0.0])], IndexOutOfRangeError,
     r"index: tensors used as indices must be integer or bool"),
    ("index_put", lambda: ix.index_put(X, L(2), 0.0), IndexOutOfRangeError,
     r"index_put: index 2"),
    ("masked_fill_shape", lambda: X.masked_fill(cr.tensor([True, False]), 0.0), OpError,
     r"masked_fill: a mask of shape \(2,\) does not broadcast to .*\(2, 3\)"),
    ("masked_fill_dtype", lambda: X.masked_fill(cr.tensor([1.0, 0.0, 1.0]), 0.0), OpTypeError,
     r"masked_fill: the mask must be bool"),
]


@pytest.mark.parametrize("name,call,error,match", INDEX_CASES, ids=[c[0] for c in INDEX_CASES])
def test_index_errors(name, call, error, match):
    with pytest.raises(error, match=match):
        call()


def _setitem(target, index, value):
    target[index] = value


@pytest.mark.parametrize("requires_grad", [False, True], ids=["plain", "recorded"])
@pytest.mark.parametrize("index", [3, -4, L(3), L(0, -4)], ids=["int", "negint", "tensor",
                                                                   "negtensor"])
def test_setitem_out_of_range(index, requires_grad):
    target = cr.zeros(3, requires_grad=requires_grad) * 1.0
    with pytest.raises(IndexOutOfRangeError, match=r"setitem: index -?\d+ is out of bounds"):
        _setitem(target, index, 1.0)


def test_setitem_shape_mismatch_is_an_op_error():
    with pytest.raises(OpError, match="setitem"):
        _setitem(cr.zeros(2, 3), 0, cr.zeros(4))


def test_errors_are_the_builtin_types_pytorch_raises():
    # IndexOutOfRangeError is caught as IndexError and as RuntimeError, like PyTorch's.
    with pytest.raises(IndexError):
        X.gather(1, L([-1], [0]))
    with pytest.raises(RuntimeError):
        X.index_select(1, L(3))
    with pytest.raises(TypeError):
        X.gather(1, cr.zeros(2, 1))


def test_negative_indices_that_pytorch_accepts_still_count_from_the_end():
    assert X[-1].tolist() == [3.0, 4.0, 5.0]
    assert X[0, -1].item() == 2.0
    assert X[L(-1, 0)].tolist() == [[3.0, 4.0, 5.0], [0.0, 1.0, 2.0]]
    assert X[:, L(-1)].tolist() == [[2.0], [5.0]]
    y = cr.zeros(3)
    y[L(-1)] = 7.0
    assert y.tolist() == [0.0, 0.0, 7.0]
    assert ix.index_put(cr.zeros(3), L(-1), 1.0).tolist() == [0.0, 0.0, 1.0]


def test_an_index_whose_selection_is_empty_is_not_checked_like_pytorch():
    # PyTorch checks index-tensor entries only while copying: nothing to copy, no error.
    one = cr.ones(1, 1, requires_grad=True)
    assert one[1:, L(5)].shape == (0, 1)
    target = cr.zeros(1, 1)
    target[1:, L(5)] = 2.0
    assert target.tolist() == [[0.0]]
    with pytest.raises(IndexOutOfRangeError):
        one[:, L(5)]


@pytest.mark.parametrize("requires_grad", [False, True])
def test_a_0d_index_is_checked_even_when_the_selection_is_empty(requires_grad):
    # A 0-d index tensor is an integer to PyTorch: checked at once, as x[[], 1] shows.
    empty = cr.zeros(0, dtype=cr.int64)
    x = cr.zeros(1, 1, requires_grad=requires_grad)
    with pytest.raises(IndexOutOfRangeError, match="1"):
        x[empty, cr.tensor(1)]
    target = cr.zeros(1, 1)
    with pytest.raises(IndexOutOfRangeError, match="1"):
        target[empty, cr.tensor(1)] = 1.0
    assert x[empty, L(1)].shape == (0,)  # a 1-d index, checked only while copying
    target[empty, L(1)] = 1.0
    assert target.tolist() == [[0.0]]


def test_masked_fill_takes_bool_lists():
    assert cr.zeros(2, 2).masked_fill([True, False], 1.0).tolist() == [[1.0, 0.0]] * 2


def test_numpy_take_along_axis_keeps_numpy_wrapping():
    # chainrule.numpy follows NumPy, where -1 is the last entry.
    a = cr.arange(6.0).reshape(2, 3)
    out = ix.take_along_axis(a, np.array([[-1], [0]]), 1)
    assert out.tolist() == [[2.0], [3.0]]
    with pytest.raises(IndexOutOfRangeError, match="take_along_axis"):
        ix.take_along_axis(a, np.array([[3], [0]]), 1)


def test_empty_index_arrays_are_checked_cheaply_and_pass():
    empty = cr.zeros(2, 0, dtype=cr.int64)
    assert X.gather(1, empty).shape == (2, 0)
    assert X.take_along_dim(empty, 1).shape == (2, 0)
    assert X.index_select(1, cr.zeros(0, dtype=cr.int64)).shape == (2, 0)
    assert cr.zeros(2, 0).gather(1, empty).shape == (2, 0)
    assert ix.index_add(cr.zeros(2, 3), 1, cr.zeros(0, dtype=cr.int64),
                        cr.zeros(2, 0)).tolist() == [[0.0] * 3] * 2


def test_zero_dim_inputs_of_the_dimwise_ops():
    five = cr.tensor(5.0)
    assert five.gather(0, L0(0)).shape == ()
    assert five.gather(-1, L(0, 0)).tolist() == [5.0, 5.0]
    assert cr.arange(3.0).gather(0, L0(1)).item() == 1.0
    assert five.index_select(0, L0(0)).shape == ()
    assert X.index_select(1, L0(2)).tolist() == [[2.0], [5.0]]
    assert ix.scatter_add(five, 0, L(0, 0), cr.tensor([1.0, 2.0])).item() == 8.0


def _f64(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.standard_normal(shape), requires_grad=True)


def test_scatter_add_and_index_add_gradients():
    idx = L([0, 2], [1, 1])
    assert gradcheck(lambda x, s: ix.scatter_add(x, 1, idx, s), (_f64(2, 3), _f64(3, 2)))
    assert gradcheck(lambda x, s: ix.index_add(x, 1, L(2, 0, 2), s, alpha=0.5),
                     (_f64(2, 3), _f64(2, 3, seed=1)))


def test_scatter_add_values():
    out = ix.scatter_add(cr.zeros(2, 3), 1, L([0, 0], [2, 1]), cr.ones(2, 2) * 2.0)
    assert out.tolist() == [[4.0, 0.0, 0.0], [0.0, 2.0, 2.0]]


# ----- shape ops -----------------------------------------------------------------------------
SHAPE_CASES = [
    ("reshape_size", lambda: X.reshape(4), OpError,
     r"reshape: cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4,\)"),
    ("reshape_infer", lambda: X.reshape(4, -1), OpError, r"reshape: .*not a multiple"),
    ("reshape_two_infer", lambda: X.reshape(-1, -1), OpError,
     r"reshape: .*only one dimension can be -1"),
    ("reshape_negative", lambda: X.reshape(-2, -3), OpError, r"reshape: invalid size -3"),
    ("reshape_negative_product", lambda: X.reshape(-2, 3), OpError, r"reshape: invalid size -2"),
    ("reshape_empty_ambiguous", lambda: cr.zeros(0, 3).reshape(0, -1), OpError,
     r"reshape: .*ambiguous"),
    ("reshape_float", lambda: X.reshape(2.0, 3), OpTypeError, r"reshape: a shape must be"),
    ("view_size", lambda: sh.view(X, 4), OpError, r"view: cannot reshape"),
    ("view_strides", lambda: sh.view(X.T, 6), OpError,
     r"view: .*shape \(3, 2\).*cannot be viewed as shape \(6,\).*reshape\(\)"),
    ("permute_count", lambda: X.permute(0), OpError,
     r"permute: 1 dims \(0,\) given for a tensor of 2 dims"),
    ("permute_repeat", lambda: X.permute(0, 0), OpError, r"permute: .*more than once"),
    ("permute_range", lambda: X.permute(0, 2), IndexOutOfRangeError,
     r"permute: dim 2 is out of range for a tensor of 2 dimensions"),
    ("squeeze_range", lambda: X.squeeze(2), IndexOutOfRangeError, r"squeeze: dim 2"),
    ("squeeze_negative", lambda: X.squeeze(-3), IndexOutOfRangeError, r"squeeze: dim -3"),
    ("squeeze_0d", lambda: S.squeeze(1), IndexOutOfRangeError, r"squeeze: dim 1"),
    ("squeeze_repeat", lambda: X.squeeze((0, 0)), OpError, r"squeeze: .*more than once"),
    ("unsqueeze_range", lambda: X.unsqueeze(3), IndexOutOfRangeError,
     r"unsqueeze: dim 3 is out of range for a tensor of 3 dimensions"),
    ("unsqueeze_negative", lambda: X.unsqueeze(-4), IndexOutOfRangeError, r"unsqueeze: dim -4"),
    ("unsqueeze_repeat", lambda: X.unsqueeze((0, 0)), OpError, r"unsqueeze: .*more than once"),
    ("transpose_range", lambda: X.transpose(0, 2), IndexOutOfRangeError, r"transpose: dim 2"),
    ("transpose_0d", lambda: S.transpose(0, 1), IndexOutOfRangeError, r"transpose: dim 1"),
    ("flip_range", lambda: X.flip(2), IndexOutOfRangeError, r"flip: dim 2"),
    ("flip_repeat", lambda: X.flip((0, 0)), OpError, r"flip: .*more than once"),
    ("roll_range", lambda: X.roll(1, 2), IndexOutOfRangeError, r"roll: dim 2"),
    ("roll_0d", lambda: S.roll(1, 0), IndexOutOfRangeError, r"roll: .*0-d"),
    ("roll_align", lambda: X.roll((1, 1), (0,)), OpError, r"roll: 2 shifts but 1 dims"),
    ("roll_align_flat", lambda: X.roll((1, 1)), OpError, r"roll: 2 shifts but no dims"),
    ("movedim_range", lambda: X.movedim(0, 2), IndexOutOfRangeError, r"movedim: dim 2"),
    ("movedim_repeat", lambda: X.movedim((0, 0), (0, 1)), OpError, r"movedim: source"),
    ("movedim_count", lambda: X.movedim((0, 1), (0,)), OpError,
     r"movedim: 2 source dims but 1 destinations"),
    ("flatten_order", lambda: X.flatten(1, 0), OpError,
     r"flatten: start_dim 1 comes after end_dim 0"),
    ("flatten_range", lambda: X.flatten(0, 2), IndexOutOfRangeError, r"flatten: dim 2"),
    ("expand_size", lambda: X.expand(2, 4), OpError,
     r"expand: cannot expand a tensor of shape \(2, 3\) to \(2, 4\)"),
    ("expand_fewer", lambda: X.expand(3), OpError, r"expand: 1 sizes \(3,\) given for a tensor "
                                                   r"of 2 dims"),
    ("expand_new_infer", lambda: X.expand(-1, 2, 3), OpError,
     r"expand: size -1 is not allowed in a new leading dim"),
    ("expand_negative", lambda: X.expand(-2, 3), OpError, r"expand: cannot expand"),
    ("expand_as", lambda: X.expand_as(cr.zeros(3)), OpError, r"expand: 1 sizes"),
    ("broadcast_to", lambda: X.broadcast_to((4,)), OpError, r"broadcast_to: 1 sizes"),
    ("repeat_fewer", lambda: sh.repeat(X, 2), OpError,
     r"repeat: 1 repeat counts \(2,\) for a tensor of 2 dims"),
    ("repeat_negative", lambda: sh.repeat(X, 2, -1), OpError,
     r"repeat: repeat counts \(2, -1\) would give a tensor of negative size \[4, -3\]"),
    ("tile_negative", lambda: X.tile(-1), OpError, r"tile: repeat counts .* negative size"),
    ("cat_0d", lambda: cr.cat([S, S]), OpError,
     r"cat: the tensor at position 0 is 0-d and cannot be concatenated"),
    ("cat_0d_second", lambda: cr.cat([cr.zeros(2), S]), OpError, r"cat: .*position 1 is 0-d"),
    ("cat_empty", lambda: cr.cat([]), OpError, r"cat: expected a non-empty sequence"),
    ("cat_shapes", lambda: cr.cat([X, cr.zeros(2, 4)], 0), OpError,
     r"cat: shapes \[\(2, 3\), \(2, 4\)\] differ outside dim 0"),
    ("cat_ndim", lambda: cr.cat([X, cr.zeros(3)]), OpError, r"cat: shapes .*same number of dims"),
    ("cat_range", lambda: cr.cat([X, X], 2), IndexOutOfRangeError, r"cat: dim 2"),
    ("cat_tensor", lambda: cr.cat(X), OpTypeError, r"cat: expected a sequence of tensors"),
    ("stack_empty", lambda: cr.stack([]), OpError, r"stack: expected a non-empty sequence"),
    ("stack_shapes", lambda: cr.stack([X, cr.zeros(2, 4)]), OpError,
     r"stack: all tensors must have the same shape, got \(2, 3\) at position 0 and \(2, 4\)"),
    ("stack_range", lambda: cr.stack([X, X], 3), IndexOutOfRangeError,
     r"stack: dim 3 is out of range for a tensor of 3 dimensions"),
    ("chunk_zero", lambda: X.chunk(0), OpError, r"chunk: chunks must be greater than 0, got 0"),
    ("chunk_negative", lambda: X.chunk(-1), OpError, r"chunk: chunks must be greater than 0"),
    ("chunk_0d", lambda: S.chunk(1), IndexOutOfRangeError, r"chunk: .*0-d"),
    ("chunk_range", lambda: X.chunk(2, 2), IndexOutOfRangeError, r"chunk: dim 2"),
    ("split_zero", lambda: X.split(0, 1), OpError,
     r"split: split_size must be positive \(0 only for an empty dim\), got 0"),
    ("split_negative", lambda: X.split(-1, 1), OpError, r"split: split_size must be positive"),
    ("split_sections", lambda: X.split([1, 1], 1), OpError,
     r"split: sizes \[1, 1\] must be non-negative and add up to 3"),
    ("split_sections_negative", lambda: X.split([4, -1], 1), OpError, r"split: sizes \[4, -1\]"),
    ("split_0d", lambda: S.split(1), IndexOutOfRangeError, r"split: .*0-d"),
    ("split_range", lambda: X.split(1, 2), IndexOutOfRangeError, r"split: dim 2"),
    ("unbind_0d", lambda: sh.unbind(S), IndexOutOfRangeError, r"unbind: .*0-d"),
    ("unbind_range", lambda: sh.unbind(X, 2), IndexOutOfRangeError, r"unbind: dim 2"),
    ("pad_odd", lambda: cr.pad(X, (1,)), OpError, r"pad: a flat padding needs one"),
    ("pad_too_many", lambda: cr.pad(X, (1,) * 6), OpError, r"pad: .*at most 2 dims"),
    ("pad_crop_too_much", lambda: cr.pad(X, (-2, -2)), OpError, r"pad: .*crop more"),
    ("pad_numpy_negative", lambda: cr.pad(X, ((0, 0), (-1, 0))), OpError,
     r"pad: widths .*negative widths only in the flat"),
    ("matmul_align", lambda: X @ X, OpError,
     r"matmul: shapes \(2, 3\) and \(2, 3\) do not align: 3 != 2"),
    ("matmul_0d", lambda: S @ X, OpError, r"matmul: both operands need at least 1 dimension"),
    ("matmul_vectors", lambda: cr.zeros(3) @ cr.zeros(4), OpError,
     r"matmul: shapes \(3,\) and \(4,\) do not align"),
    ("matmul_batch", lambda: cr.zeros(2, 2, 3) @ cr.zeros(3, 3, 4), OpError,
     r"matmul: batch dims of shapes \(2, 2, 3\) and \(3, 3, 4\) do not broadcast"),
    ("matmul_method", lambda: X.matmul(cr.zeros(2)), OpError, r"matmul: shapes"),
    ("matmul_dtype", lambda: X @ cr.ones(3, 2, dtype=cr.float64), OpError,
     r"matmul: expected both operands to have the same dtype, got float32 and float64"),
    ("mm_rank", lambda: la.mm(cr.ones(2, 2, 3), cr.ones(3, 4)), OpError,
     r"mm: the first operand must be a matrix \(2-D\), got shape \(2, 2, 3\)"),
    ("mm_shapes", lambda: la.mm(X, X), OpError, r"mm: shapes \(2, 3\) and \(2, 3\) cannot"),
    ("bmm_rank", lambda: la.bmm(X, X), OpError, r"bmm: the first operand must be a batch"),
    ("bmm_batch", lambda: la.bmm(cr.ones(2, 2, 3), cr.ones(3, 3, 4)), OpError,
     r"bmm: shapes \(2, 2, 3\) and \(3, 3, 4\) cannot be multiplied"),
    ("dot_rank", lambda: la.dot(S, S), OpError, r"dot: the first operand must be a vector"),
    ("dot_length", lambda: la.dot(cr.ones(3), cr.ones(4)), OpError,
     r"dot: vectors of shapes \(3,\) and \(4,\) have different lengths"),
    ("dot_dtype", lambda: la.dot(cr.ones(3), cr.ones(3, dtype=cr.float64)), OpError,
     r"dot: expected both operands to have the same dtype"),
    ("einsum_operands", lambda: cr.numpy.einsum("ij,jk->ik", X), OpError,
     r"einsum: 2 operands in 'ij,jk->ik' but 1 given"),
    ("einsum_subscripts", lambda: cr.numpy.einsum("ijk", X), OpError,
     r"einsum: subscripts 'ijk' do not fit an operand of shape \(2, 3\)"),
    ("einsum_sizes", lambda: cr.numpy.einsum("ij,jk->ik", X, X), OpError, r"einsum: "),
    ("inv_square", lambda: cr.numpy.linalg.inv(X), OpError, r"inv: .*square.*\(2, 3\)"),
    ("det_square", lambda: cr.numpy.linalg.det(X), OpError, r"det: .*square"),
    ("solve_square", lambda: cr.numpy.linalg.solve(X, cr.zeros(2)), OpError, r"solve: .*square"),
]


@pytest.mark.parametrize("name,call,error,match", SHAPE_CASES, ids=[c[0] for c in SHAPE_CASES])
def test_shape_errors(name, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_matrix_products_that_pytorch_accepts():
    assert la.mm(X, cr.ones(3, 4)).shape == (2, 4)
    assert la.bmm(cr.ones(2, 2, 3), cr.ones(2, 3, 4)).shape == (2, 2, 4)
    assert la.dot(cr.ones(3), cr.ones(3)).item() == 3.0
    assert (cr.ones(2, 3, dtype=cr.int64) @ cr.ones(3, dtype=cr.int64)).tolist() == [3, 3]


def test_dim_errors_keep_the_reductions_message():
    # normalize_dim is shared: the reductions' errors are IndexOutOfRangeError too.
    with pytest.raises(IndexOutOfRangeError, match="sum: dim 2 is out of range"):
        X.sum(dim=2)
    with pytest.raises(OpTypeError, match="squeeze: dim must be an int"):
        X.squeeze("a")


def test_valid_edge_cases_that_pytorch_accepts():
    assert S.squeeze(0).shape == () and S.squeeze(-1).shape == ()
    assert S.unsqueeze(-1).shape == (1,) and S.unsqueeze(0).shape == (1,)
    assert S.transpose(0, -1).shape == () and S.flip(0).shape == ()
    assert S.roll(1).shape == () and S.flatten().shape == (1,)
    assert [p.shape for p in cr.zeros(0).chunk(2)] == [(0,), (0,)]
    assert [p.shape for p in cr.zeros(7).chunk(6)] == [(2,), (2,), (2,), (1,)]
    assert [p.shape for p in cr.zeros(0).split(0)] == [(0,)]
    assert [p.shape for p in cr.zeros(0).split(2)] == [(0,)]
    assert [p.shape for p in cr.zeros(3).split([0, 3])] == [(0,), (3,)]
    assert cr.zeros(0, 3).reshape(-1, 3).shape == (0, 3)
    assert X.expand(4, -1, 3).shape == (4, 2, 3)
    assert cr.zeros(1, 3).expand(0, 3).shape == (0, 3)
    assert sh.repeat(X, 2, 1, 1).shape == (2, 2, 3) and X.tile(2).shape == (2, 6)
    assert cr.stack([S, S]).shape == (2,)
    assert cr.stack([X, X], -3).shape == (2, 2, 3)
    assert X.roll(1, ()).tolist() == [[5.0, 0.0, 1.0], [2.0, 3.0, 4.0]]
    assert sh.view(X.T, 3, 2).shape == (3, 2)  # a transpose viewed as its own shape
    assert sh.view(X, 3, 2).shape == (3, 2)
    assert cr.eye(0).shape == (0, 0) and cr.eye(3, 0).shape == (3, 0)
    assert cr.arange(5, 5).shape == (0,)
    assert cr.arange(5, 0, -2).tolist() == [5, 3, 1]


def test_cat_skips_legacy_empty_vectors_like_pytorch():
    assert cr.cat([X, cr.zeros(0)]).tolist() == X.tolist()
    assert cr.cat([cr.zeros(0), X], 1).shape == (2, 3)
    assert cr.cat([cr.zeros(0), cr.zeros(0)]).shape == (0,)
    x = _f64(2, 3)
    assert gradcheck(lambda x: cr.cat([cr.zeros(0, dtype=cr.float64), x, x]), (x,))


def test_pad_with_negative_widths_crops_like_pytorch():
    out = cr.pad(X, (-1, -1, 1, 0))
    assert out.tolist() == [[0.0], [1.0], [4.0]]
    assert cr.pad(X, (-3, 0)).shape == (2, 0)
    x = _f64(3, 4)
    assert gradcheck(lambda x: cr.pad(x, (-1, 2, 1, -2), value=0.5), (x,))


# ----- creation ------------------------------------------------------------------------------
CREATION_CASES = [
    *[(f"{fn}_negative", (lambda fn=fn: getattr(cr, fn)(2, -3)), OpError,
       fr"{fn}: trying to create a tensor with negative dimension -3: \[2, -3\]")
      for fn in ("zeros", "ones", "empty", "rand", "randn")],
    ("zeros_tuple_negative", lambda: cr.zeros((-1,)), OpError, r"zeros: .*negative dimension -1"),
    ("full_negative", lambda: cr.full((2, -1), 0.0), OpError, r"full: .*negative dimension -1"),
    ("randint_size_negative", lambda: cr.randint(3, (2, -1)), OpError,
     r"randint: .*negative dimension -1"),
    ("randint_empty_range", lambda: cr.randint(5, 5, (2,)), OpError,
     r"randint: low must be less than high, got low=5 >= high=5"),
    ("randint_high_zero", lambda: cr.randint(0, (2,)), OpError, r"randint: low must be less"),
    ("randint_float", lambda: cr.randint(0.5, 3.5, (2,)), OpTypeError, r"randint: low must be"),
    ("zeros_float", lambda: cr.zeros(2.5), OpTypeError, r"zeros: a shape must be"),
    ("rand_str", lambda: cr.rand("a"), OpTypeError, r"rand: a shape must be"),
    ("eye_negative", lambda: cr.eye(-1), OpError, r"eye: n must be >= 0, got -1"),
    ("eye_negative_m", lambda: cr.eye(2, -1), OpError, r"eye: m must be >= 0, got -1"),
    ("eye_float", lambda: cr.eye(2.5), OpTypeError, r"eye: n must be an int"),
    ("arange_step_zero", lambda: cr.arange(0, 5, 0), OpError, r"arange: step must be nonzero"),
    ("arange_float_step_zero", lambda: cr.arange(0.0, 1.0, 0.0), OpError,
     r"arange: step must be nonzero"),
    ("arange_direction", lambda: cr.arange(0, 5, -1), OpError,
     r"arange: the range 0 -> 5 goes the other way from step -1"),
    ("arange_negative_end", lambda: cr.arange(-3), OpError, r"arange: the range 0 -> -3"),
    ("arange_infinite", lambda: cr.arange(0.0, float("inf")), OpError,
     r"arange: unsupported range"),
    ("linspace_negative", lambda: cr.linspace(0, 1, -1), OpError,
     r"linspace: steps must be >= 0, got -1"),
    ("linspace_float", lambda: cr.linspace(0, 1, 2.5), OpTypeError, r"linspace: steps must be"),
]


@pytest.mark.parametrize("name,call,error,match", CREATION_CASES,
                         ids=[c[0] for c in CREATION_CASES])
def test_creation_errors(name, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_creation_errors_are_runtime_errors_like_pytorch():
    for call in (lambda: cr.zeros(-1), lambda: cr.eye(-1), lambda: cr.arange(0, 1, 0),
                 lambda: cr.randint(1, 1, (1,))):
        with pytest.raises(RuntimeError):
            call()
