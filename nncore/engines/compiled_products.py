"""The matrix products of backprop for the ``compiled`` engine: loops where BLAS's fixed cost
dominates, BLAS everywhere else.

For a layer with inputs A (n, fan_in), weights W (fan_in, fan_out), bias b (fan_out,) and
deltas D (n, fan_out):
    forward_product:   Z = A @ W + b                       (n, fan_out)
    weight_gradient:   dW = A.T @ D, db = D.sum(axis=0)    (fan_in, fan_out), (fan_out,)
    delta_back:        D_previous = D @ W.T                (n, fan_in)
A BLAS call costs a few hundred nanoseconds before its first multiply-add (dispatch, packing the
operands), and the bias is one more pass over Z or D. Measured against ``np.dot`` inside numba
(``python -m benchmarks.probes.product_shapes``), generic loops lose to OpenBLAS's small-matrix kernels
almost everywhere; what wins is a loop written for the shape:
- a small fan-in (the sin-cos inputs have 2): a row of Z built in passes over contiguous rows of
  fan_out numbers that LLVM vectorizes, the bias and two rows of W in the first; dW's rows and db
  likewise, a pass each, which beats BLAS only for a fan-in of 1 or a single row;
- a fan-out of 1 (a single output, up to ``LOOP_ROWS`` multiply-adds): a dot product per sample,
  a weighted sum of rows and an outer product.
Each product runs the variant its ``*_path`` function names for the shape, so the benchmark that
sets the thresholds times every variant and prints the one taken. Variants and path rules are
inlined into their product at numba's level (``inline="always"``; why: ``compiled_kernels``).

``fastmath`` is limited to reassociation and fused multiply-add (``FAST``): reordering a sum of a few
hundred terms moves its last bits (the engines agree to 1e-10), while NaN and infinity keep their
IEEE meaning, so a diverging run still shows NaN.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic
from numba.np.arrayobj import make_array, populate_array

FAST = {"reassoc", "contract"}
# The thresholds, from ``python -m benchmarks.probes.product_shapes --sweep`` (docs/benchmarks.md, "Speed"):
FORWARD_FAN_IN = 3  # fan-in up to which Z = A @ W + b runs as loops (fan-in 4: 0.8-0.9x of BLAS)
WEIGHT_FAN_IN = 1   # ... and dW, db (fan-in 2 from 10 rows: 0.55-0.75x of BLAS)
ONE_ROW_FAN_IN = 6  # ... both, for a single row (1.1-3.6x BLAS's speed up to 6, the most timed)
LOOP_ROWS = 1000    # n * fan_in up to which a single-output product runs as loops
BLAS, FAN_IN_LOOPS, ONE_OUTPUT_LOOPS = 0, 1, 2
PATH_NAMES = ("BLAS", "fan-in loops", "one-output loops")


@intrinsic
def _c_view(typingctx, array, shape):
    """The C-contiguous ``array`` seen as a C-ordered array of ``shape`` (a tuple of integers) over
    the same memory, its first prod(shape) entries, which the caller guarantees exist.

    What ``array.reshape(shape)`` gives, without its call into numba's C helpers (~40 ns measured,
    and a step of a two-layer network took 15 of them, a tenth of the step at batch 10)."""
    if not (isinstance(array, types.Array) and array.layout == "C" and isinstance(shape, types.UniTuple)
            and isinstance(shape.dtype, types.Integer)):
        return None
    result = array.copy(ndim=shape.count, layout="C")

    def codegen(context, builder, signature, args):
        source = make_array(signature.args[0])(context, builder, args[0])
        view = make_array(result)(context, builder)
        dims = [context.cast(builder, dim, shape.dtype, types.intp)
                for dim in cgutils.unpack_tuple(builder, args[1])]
        strides, stride = [], source.itemsize
        for dim in reversed(dims):  # C order: the last axis is contiguous
            strides.insert(0, stride)
            stride = builder.mul(stride, dim)
        populate_array(view, data=source.data, shape=dims, strides=strides, itemsize=source.itemsize,
                       meminfo=source.meminfo, parent=source.parent)
        return impl_ret_borrowed(context, builder, result, view._getvalue())
    return result(array, shape), codegen


@intrinsic
def as_read_only(typingctx, array):
    """``array`` itself, typed read-only. A product's input is a data set's rows (read-only: a
    study's arrays are) or a layer's activations (writable buffers); numba compiles a product once
    per type it is called with, so the activations pass through here and each product compiles
    once (``python -m benchmarks.probes.warmup_compile``: ~1 s each on a new machine)."""
    if not isinstance(array, types.Array):
        return None
    result = array.copy(readonly=True)

    def codegen(context, builder, signature, args):
        return impl_ret_borrowed(context, builder, result, args[0])
    return result(array), codegen


@njit(cache=True)
def matrix_at(flat, start, rows, cols):
    """The C-ordered (rows, cols) view of flat[start:start + rows * cols], for a 1-D C array."""
    if start < 0 or start + rows * cols > flat.shape[0]:
        raise ValueError("matrix_at: the view runs past the end of the array")
    return _c_view(flat[start:], (rows, cols))


@njit(cache=True)
def column_as_vector(matrix):
    """The (k,) view of a C-ordered (k, 1) matrix."""
    return _c_view(matrix, (matrix.shape[0],))


@njit(cache=True, inline="always")
def _product_path(n, k, m, fan_in_loops_up_to):
    """Loops over a fan-in k up to ``fan_in_loops_up_to`` (or a single row), loops for one output
    column of small products, else BLAS: the rule both products follow, with their own limits."""
    if k <= fan_in_loops_up_to or (n == 1 and k <= ONE_ROW_FAN_IN):
        return FAN_IN_LOOPS
    if m == 1 and n * k <= LOOP_ROWS:
        return ONE_OUTPUT_LOOPS
    return BLAS


@njit(cache=True, inline="always")
def forward_path(n, k, m):
    """The variant of ``forward_product`` for A (n, k), W (k, m)."""
    return _product_path(n, k, m, FORWARD_FAN_IN)


@njit(cache=True, inline="always")
def weight_path(n, k, m):
    """The variant of ``weight_gradient`` for A (n, k), D (n, m)."""
    return _product_path(n, k, m, WEIGHT_FAN_IN)


@njit(cache=True, inline="always")
def delta_path(n, k, m):
    """The variant of ``delta_back`` for D (n, m), W (k, m)."""
    return ONE_OUTPUT_LOOPS if m == 1 else BLAS


@njit(cache=True, fastmath=FAST)
def forward_product(A, W, b, out):
    """out (n, m) <- A (n, k) @ W (k, m) + b (m,)."""
    path = forward_path(A.shape[0], A.shape[1], W.shape[1])
    if path == FAN_IN_LOOPS:
        forward_fan_in_loops(A, W, b, out)
    elif path == ONE_OUTPUT_LOOPS:
        forward_one_output_loops(A, W, b, out)
    else:
        forward_blas(A, W, b, out)


@njit(cache=True, fastmath=FAST, inline="always")
def forward_fan_in_loops(A, W, b, out):
    """``forward_product`` as passes over each row of out: b and two rows of W in the first,
    the rows of W past the second in a pass each (``_add_rows_of_w``)."""
    n, k = A.shape
    m = W.shape[1]
    w0, w1 = W[0], W[min(1, k - 1)]
    for i in range(n):
        row, a0 = out[i], A[i, 0]
        if k == 1:
            for j in range(m):
                row[j] = b[j] + a0 * w0[j]
        else:
            a1 = A[i, 1]
            for j in range(m):
                row[j] = b[j] + a0 * w0[j] + a1 * w1[j]
    if k > 2:
        _add_rows_of_w(A, W, out)


@njit(cache=True, fastmath=FAST, inline="always")
def _add_rows_of_w(A, W, out):
    """out (n, m) += A[:, 2:] @ W[2:], a pass over each row of out per row of W."""
    n, k = A.shape
    m = W.shape[1]
    for p in range(2, k):
        w = W[p]
        for i in range(n):
            row, a = out[i], A[i, p]
            for j in range(m):
                row[j] += a * w[j]


@njit(cache=True, fastmath=FAST, inline="always")
def forward_one_output_loops(A, W, b, out):
    """``forward_product`` for m == 1: a dot product per sample."""
    n, k = A.shape
    w = column_as_vector(W)
    for i in range(n):
        a = A[i]
        total = a[0] * w[0]
        for p in range(1, k):
            total += a[p] * w[p]
        out[i, 0] = total + b[0]


@njit(cache=True, fastmath=FAST, inline="always")
def forward_blas(A, W, b, out):
    """``forward_product`` as one ``np.dot`` into out and a pass adding b to each row."""
    n, m = out.shape
    np.dot(A, W, out)
    for i in range(n):
        row = out[i]
        for j in range(m):
            row[j] += b[j]


@njit(cache=True, fastmath=FAST)
def weight_gradient(A, D, dW, db):
    """dW (k, m) <- A.T @ D and db (m,) <- D.sum(axis=0), for A (n, k), D (n, m)."""
    path = weight_path(A.shape[0], A.shape[1], D.shape[1])
    if path == FAN_IN_LOOPS:
        weight_fan_in_loops(A, D, dW, db)
    elif path == ONE_OUTPUT_LOOPS:
        weight_one_output_loops(A, D, dW, db)
    else:
        weight_blas(A, D, dW, db)


@njit(cache=True, fastmath=FAST, inline="always")
def weight_fan_in_loops(A, D, dW, db):
    """``weight_gradient`` as passes over the rows of D, one per row of dW and one for db: each
    pass accumulates into one contiguous row, which LLVM vectorizes with one alias check."""
    n, k = A.shape
    m = D.shape[1]
    first = D[0]
    for j in range(m):
        db[j] = first[j]
    for i in range(1, n):
        d = D[i]
        for j in range(m):
            db[j] += d[j]
    for p in range(k):
        g, a = dW[p], A[0, p]
        for j in range(m):
            g[j] = a * first[j]
        for i in range(1, n):
            d, a = D[i], A[i, p]
            for j in range(m):
                g[j] += a * d[j]


@njit(cache=True, fastmath=FAST, inline="always")
def weight_one_output_loops(A, D, dW, db):
    """``weight_gradient`` for m == 1: dW[:, 0] = sum_i D[i, 0] A[i], the rows of A weighted."""
    n, k = A.shape
    column = column_as_vector(dW)
    a, d = A[0], D[0, 0]
    total = d
    for p in range(k):
        column[p] = a[p] * d
    for i in range(1, n):
        a, d = A[i], D[i, 0]
        total += d
        for p in range(k):
            column[p] += a[p] * d
    db[0] = total


@njit(cache=True, fastmath=FAST, inline="always")
def weight_blas(A, D, dW, db):
    """``weight_gradient`` as one ``np.dot`` into dW and a pass summing the rows of D into db."""
    n, m = D.shape
    np.dot(A.T, D, dW)
    for j in range(m):
        db[j] = D[0, j]
    for i in range(1, n):
        d = D[i]
        for j in range(m):
            db[j] += d[j]


@njit(cache=True, fastmath=FAST)
def delta_back(D, W, out):
    """out (n, k) <- D (n, m) @ W.T for W (k, m)."""
    if delta_path(D.shape[0], W.shape[0], D.shape[1]) == ONE_OUTPUT_LOOPS:
        delta_one_output_loops(D, W, out)
    else:
        delta_blas(D, W, out)


@njit(cache=True, fastmath=FAST, inline="always")
def delta_one_output_loops(D, W, out):
    """``delta_back`` for m == 1: an outer product, out[i] = D[i, 0] W[:, 0]."""
    n = D.shape[0]
    k = W.shape[0]
    w = column_as_vector(W)
    for i in range(n):
        row, d = out[i], D[i, 0]
        for p in range(k):
            row[p] = d * w[p]


@njit(cache=True, fastmath=FAST, inline="always")
def delta_blas(D, W, out):
    """``delta_back`` as one ``np.dot``."""
    np.dot(D, W.T, out)


# The evaluation of the sin-cos nets: z = relu(X @ W1 + b1) @ W2 + b2 for X (n, 1 or 2), the
# hidden layer never stored. Written a row at a time the compiler vectorizes across the units and
# then sums each row's lanes; a chain of fused multiply-adds per row, unit after unit, keeps rows
# in the lanes instead, and ``LANE_BLOCKS`` independent chains hide the multiply-add's latency
# (measured on 2-100-1, 10,000 rows: 0.14 ms against 0.25 ms). numba's vectorizer keeps to
# 256-bit vectors on AVX-512 CPUs; the vectors here are 64 bytes, written out (``relu_sums``),
# which LLVM splits in two where the CPU has no 512-bit registers.
LANE_BYTES, LANE_BLOCKS = 64, 4


@intrinsic
def relu_sums(typingctx, x0, x1, b, w0, w1, w2, out, start):
    """out[r] <- sum_j max(b[j] + x0[r] w0[j] + x1[r] w1[j], 0) w2[j], the sum in the order of j
    and each term a fused multiply-add, for the ``rows_at_once(out)`` rows r from ``start``
    (1-D C arrays of one float dtype; the caller guarantees the rows exist). max keeps NaN."""
    arrays = (x0, x1, b, w0, w1, w2, out)
    if not (isinstance(x0, types.Array) and isinstance(x0.dtype, types.Float) and isinstance(start, types.Integer)
            and all(isinstance(a, types.Array) and a.ndim == 1 and a.layout == "C" and a.dtype == x0.dtype
                    for a in arrays)):
        return None
    lanes = LANE_BYTES * 8 // x0.dtype.bitwidth

    def codegen(context, builder, signature, args):
        x0_, x1_, b_, w0_, w1_, w2_, out_ = (make_array(kind)(context, builder, value)
                                             for kind, value in zip(signature.args[:7], args[:7]))
        vector = ir.VectorType(context.get_value_type(x0.dtype), lanes)
        fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vector, [vector] * 3),
                                             f"llvm.fma.v{lanes}f{x0.dtype.bitwidth}")
        index = ir.IntType(32)

        def lanes_at(array, block):
            at = builder.add(context.cast(builder, args[7], start, types.intp), ir.Constant(cgutils.intp_t, lanes * block))
            return builder.bitcast(builder.gep(array.data, [at]), vector.as_pointer())

        def splat(value):
            one = builder.insert_element(ir.Constant(vector, ir.Undefined), value, ir.Constant(index, 0))
            return builder.shuffle_vector(one, ir.Constant(vector, ir.Undefined),
                                          ir.Constant(ir.VectorType(index, lanes), [0] * lanes))
        align, zero = x0.dtype.bitwidth // 8, ir.Constant(vector, [0.0] * lanes)
        blocks = range(LANE_BLOCKS)
        rows0 = [builder.load(lanes_at(x0_, k), align=align) for k in blocks]
        rows1 = [builder.load(lanes_at(x1_, k), align=align) for k in blocks]
        totals = [cgutils.alloca_once_value(builder, zero) for _ in blocks]
        with cgutils.for_range(builder, cgutils.unpack_tuple(builder, b_.shape)[0]) as loop:
            bias, weight0, weight1, weight2 = (splat(builder.load(builder.gep(a.data, [loop.index])))
                                               for a in (b_, w0_, w1_, w2_))
            for k in blocks:
                z = builder.call(fma, [rows1[k], weight1, builder.call(fma, [rows0[k], weight0, bias])])
                h = builder.select(builder.fcmp_ordered(">", zero, z), zero, z)  # max(z, 0), NaN kept
                builder.store(builder.call(fma, [h, weight2, builder.load(totals[k])]), totals[k])
        for k in blocks:
            builder.store(builder.load(totals[k]), lanes_at(out_, k), align=align)
        return context.get_dummy_value()
    return types.void(x0, x1, b, w0, w1, w2, out, start), codegen


@njit(cache=True)
def rows_at_once(array):
    """How many rows ``relu_sums`` computes in one call for arrays of ``array``'s dtype."""
    return LANE_BLOCKS * LANE_BYTES // array.itemsize


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def relu_network_output(X, W1, b1, W2, b2, columns, z):
    """z (n, 1) <- relu(X @ W1 + b1) @ W2 + b2 for X (n, 1 or 2), the hidden layer never stored,
    through ``columns`` (3, padded): X's columns (zero past row n) and the sums, ``padded`` a
    multiple of ``rows_at_once`` of at least n."""
    n, fan_in = X.shape
    x0, x1, total = columns[0], columns[1], columns[2]
    zero = X.dtype.type(0.0)
    for i in range(columns.shape[1]):
        x0[i] = X[i, 0] if i < n else zero
        x1[i] = X[i, 1] if i < n and fan_in == 2 else zero
    w0, w1, w2 = W1[0], W1[fan_in - 1], column_as_vector(W2)
    for start in range(0, columns.shape[1], rows_at_once(X)):
        relu_sums(x0, x1, b1, w0, w1, w2, total, start)
    for i in range(n):
        z[i, 0] = total[i] + b2[0]
