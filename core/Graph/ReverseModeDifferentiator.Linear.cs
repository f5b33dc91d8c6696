namespace Pix2PixZero.Core.Graph;

// MatMul, Gemm and Conv: only the gradients towards activations are emitted; weights are constants here.
public sealed partial class ReverseModeDifferentiator
{
    private void MatMul(string g)
    {
        var (a, b, y) = (_node.Input[0], _node.Input[1], _node.Output[0]);
        var (ra, rb) = (_shapes.Rank(a), _shapes.Rank(b));
        if (ra < 2 || rb < 2) throw Unsupported("1-D MatMul operands are not supported");
        var batch = _shapes[y][..^2];
        if (Needs(0))
        {
            var grad = _e.Node("MatMul", [g, SwapLastTwo(F(b), rb)]);
            Contribute(a, Unbroadcast(grad, [.. batch, .. _shapes[a][^2..]], a));
        }
        if (Needs(1))
        {
            // Aᵀ·g transposes A. When A is the wider operand (attention's P in P·V), ONNX Runtime's transposed-A
            // MatMul over it is about three times slower (1.1–1.4 ms against ~0.45 ms for the tiny UNet's 256-token
            // maps) than (gᵀ·A)ᵀ, which transposes only the narrow g and the result.
            var grad = _shapes[a][^1] > _shapes[y][^1]
                ? SwapLastTwo(_e.Node("MatMul", [SwapLastTwo(g, batch.Length + 2), F(a)]), batch.Length + 2)
                : _e.Node("MatMul", [SwapLastTwo(F(a), ra), g]);
            Contribute(b, Unbroadcast(grad, [.. batch, .. _shapes[b][^2..]], b));
        }
    }

    private string SwapLastTwo(string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 2], perm[rank - 1]) = (perm[rank - 1], perm[rank - 2]);
        return _e.Transpose(x, perm);
    }

    // Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A, B' likewise.
    private void Gemm(string g)
    {
        var (transA, transB) = (AttrInt("transA", 0) != 0, AttrInt("transB", 0) != 0);
        var (alpha, beta) = (AttrFloat("alpha", 1f), AttrFloat("beta", 1f));
        var gs = alpha == 1f ? g : _e.Mul(g, Const(alpha));
        var (a, b) = (F(_node.Input[0]), F(_node.Input[1]));
        if (Needs(0))
        {
            var gaPrime = _e.Node("MatMul", [gs, transB ? b : _e.Transpose(b, [1, 0])]);
            Contribute(_node.Input[0], transA ? _e.Transpose(gaPrime, [1, 0]) : gaPrime);
        }
        if (Needs(1))
        {
            var gbPrime = _e.Node("MatMul", [transA ? a : _e.Transpose(a, [1, 0]), gs]);
            Contribute(_node.Input[1], transB ? _e.Transpose(gbPrime, [1, 0]) : gbPrime);
        }
        if (Needs(2))
        {
            var gc = beta == 1f ? g : _e.Mul(g, Const(beta));
            Contribute(_node.Input[2], Unbroadcast(gc, _shapes[_node.Output[0]], _node.Input[2]));
        }
    }

    /// <summary>
    /// The adjoint of a convolution with respect to its input is the transposed convolution with the same weights,
    /// strides, pads, dilations and groups. output_padding restores the input rows the forward stride skipped; with
    /// dynamic spatial sizes it is taken at its maximum (stride − 1) and the result is cropped to the input's size.
    /// </summary>
    private void Conv(string g)
    {
        if (!Needs(0)) return;
        var autoPad = _node.Attribute.FirstOrDefault(a => a.Name == "auto_pad")?.S.ToStringUtf8() ?? "NOTSET";
        if (autoPad is not ("NOTSET" or "VALID"))
            throw Unsupported($"auto_pad={autoPad} (explicit pads are required)");
        var (x, w, y) = (_node.Input[0], _node.Input[1], _node.Output[0]);
        var spatial = _shapes.Rank(x) - 2;
        var kernel = AttrInts("kernel_shape") ?? _shapes[w][2..];
        var strides = AttrInts("strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = AttrInts("dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = autoPad == "VALID" ? new long[2 * spatial] : AttrInts("pads") ?? new long[2 * spatial];
        var group = AttrInt("group", 1);
        long Span(int i) => (kernel[i] - 1) * dilations[i] + 1;

        if (group == 1 && strides.All(s => s == 1) && Enumerable.Range(0, spatial).All(i => pads[i] < Span(i) && pads[spatial + i] < Span(i)))
        {
            Contribute(x, StrideOneConvInputGradient(g, w, spatial, dilations, pads, kernel, Span));
            return;
        }

        var crop = _shapes.Dynamic && strides.Any(s => s > 1);
        var outputPadding = new long[spatial];
        for (var i = 0; i < spatial; i++)
            outputPadding[i] = crop
                ? strides[i] - 1
                : _shapes[x][2 + i] + pads[i] + pads[spatial + i] - Span(i) - strides[i] * (_shapes[y][2 + i] - 1);

        var grad = _e.Node("ConvTranspose", [g, F(w)],
            GraphEmitter.Ints("strides", strides), GraphEmitter.Ints("pads", pads),
            GraphEmitter.Ints("dilations", dilations), GraphEmitter.Int("group", group),
            GraphEmitter.Ints("kernel_shape", kernel), GraphEmitter.Ints("output_padding", outputPadding));
        if (crop)
        {
            var axes = Enumerable.Range(2, spatial).Select(i => (long)i).ToArray();
            grad = _e.Slice(grad, _e.Int64s(new long[spatial]), DimsOf(x, 2, 2 + spatial), _e.Int64s(axes));
        }
        Contribute(x, grad);
    }

    /// <summary>
    /// For stride 1 and one group the adjoint is itself a convolution: the kernel's two channel axes swapped and its
    /// spatial axes reversed, each pad replaced by span − 1 − pad. ONNX Runtime folds that kernel once at load, and
    /// runs the Conv on its blocked-layout kernels, about twice as fast on CPU as ConvTranspose.
    /// </summary>
    private string StrideOneConvInputGradient(string g, string w, int spatial, long[] dilations, long[] pads, long[] kernel, Func<int, long> span)
    {
        var spatialAxes = Enumerable.Range(2, spatial).Select(i => (long)i).ToArray();
        var swapped = _e.Transpose(F(w), [1, 0, .. spatialAxes]);
        var flipped = _e.Node("Slice", [swapped, _e.Int64s(Enumerable.Repeat(-1L, spatial).ToArray()),
            _e.Int64s(Enumerable.Repeat(long.MinValue, spatial).ToArray()), _e.Int64s(spatialAxes),
            _e.Int64s(Enumerable.Repeat(-1L, spatial).ToArray())]);
        var adjointPads = Enumerable.Range(0, 2 * spatial).Select(i => span(i % spatial) - 1 - pads[i]).ToArray();
        return _e.Node("Conv", [g, flipped],
            GraphEmitter.Ints("pads", adjointPads), GraphEmitter.Ints("dilations", dilations),
            GraphEmitter.Ints("kernel_shape", kernel));
    }
}
