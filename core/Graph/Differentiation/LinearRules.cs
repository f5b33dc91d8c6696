namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// MatMul, Gemm and Conv. Only the gradients towards activations are emitted; weights are constants here. A backward
/// op reads a weight exactly as the forward does, never a transposed or flipped copy of it: ONNX Runtime folds such a
/// copy into a new initializer when the session loads, which at SD 1.x's size duplicated 3.4 GB of weights in the
/// guidance graph and kept the compiled graphs from sharing the UNet's one copy (DESIGN.md §2).
/// </summary>
internal static class LinearRules
{
    public static void MatMul(GradientContext c) => MatMulGradients(c, c.Node, c.G, scale: null);

    /// <summary>
    /// The gradients of Y = A·B (the node <paramref name="matMul"/>) for ∂L/∂Y =
    /// <paramref name="g"/>·<paramref name="scale"/>: the scale (a scalar tensor or null) multiplies the operands'
    /// gradients instead of the output's, which for attention scores (an N×N map from N×d operands) is the smaller
    /// tensor.
    /// </summary>
    public static void MatMulGradients(GradientContext c, Onnx.NodeProto matMul, string g, string? scale)
    {
        var (a, b, y) = (matMul.Input[0], matMul.Input[1], matMul.Output[0]);
        var (ra, rb) = (c.Shapes.Rank(a), c.Shapes.Rank(b));
        if (ra < 2 || rb < 2)
            throw c.Unsupported("1-D MatMul operands are not supported");
        var batch = c.Shapes[y][..^2];
        string Scaled(string t) => scale is null ? t : c.Emit.Mul(t, scale);
        if (c.Needs(a))
        {
            var grad =
                rb == 2 && c.IsConstant(b) && c.Graph.Opset >= 11
                    ? TimesTransposedWeight(c, g, a, b, ra)
                    : c.Emit.Node("MatMul", [g, SwapLastTwo(c, c.F(b), rb)]);
            c.Contribute(a, c.Unbroadcast(Scaled(grad), [.. batch, .. c.Shapes[a][^2..]], a));
        }
        if (c.Needs(b))
        {
            // Aᵀ·g transposes A. When A is the wider operand (attention's P in P·V), ONNX Runtime's transposed-A
            // MatMul over it is several times slower than (gᵀ·A)ᵀ, which transposes only the narrow g and the result.
            var grad =
                c.Shapes[a][^1] > c.Shapes[y][^1]
                    ? SwapLastTwo(
                        c,
                        c.Emit.Node("MatMul", [SwapLastTwo(c, g, batch.Length + 2), c.F(a)]),
                        batch.Length + 2
                    )
                    : c.Emit.Node("MatMul", [SwapLastTwo(c, c.F(a), ra), g]);
            c.Contribute(b, c.Unbroadcast(Scaled(grad), [.. batch, .. c.Shapes[b][^2..]], b));
        }
    }

    /// <summary>g·Wᵀ for a constant [K, N] weight W: one Gemm with transB over g's rows flattened to [·, N].</summary>
    private static string TimesTransposedWeight(GradientContext c, string g, string a, string w, int rankOfA)
    {
        var n = c.Shapes[w][1];
        var rows = rankOfA == 2 ? g : c.Emit.Reshape(g, c.Emit.Int64s(-1, n));
        var product = c.Emit.Node("Gemm", [rows, c.F(w)], GraphEmitter.Int("transB", 1));
        return rankOfA == 2 ? product : c.Emit.Reshape(product, c.ShapeOf(a));
    }

    public static string SwapLastTwo(GradientContext c, string x, int rank)
    {
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 2], perm[rank - 1]) = (perm[rank - 1], perm[rank - 2]);
        return c.Emit.Transpose(x, perm);
    }

    /// <summary>
    /// Y = α·A'·B' + β·C with A' = transA ? Aᵀ : A, B' likewise. Each operand's gradient is one Gemm over the other
    /// operand as stored, its transpose flags and α carrying the rest: ∂L/∂A' = α·g·B'ᵀ, ∂L/∂B' = α·A'ᵀ·g.
    /// </summary>
    public static void Gemm(GradientContext c)
    {
        var (transA, transB) = (c.AttrInt("transA", 0) != 0, c.AttrInt("transB", 0) != 0);
        var (alpha, beta) = (c.AttrFloat("alpha", 1f), c.AttrFloat("beta", 1f));
        var g = c.G;
        var (a, b) = (c.F(c.Input(0)), c.F(c.Input(1)));
        // Before opset 11 Gemm's C is required: a zero scalar broadcasts.
        string[] Operands(string left, string right) => c.Graph.Opset >= 11 ? [left, right] : [left, right, c.Const(0)];
        string Product(string left, string right, bool transLeft, bool transRight) =>
            c.Emit.Node(
                "Gemm",
                Operands(left, right),
                GraphEmitter.Int("transA", transLeft ? 1 : 0),
                GraphEmitter.Int("transB", transRight ? 1 : 0),
                GraphEmitter.Float("alpha", alpha)
            );
        // ∂L/∂A = α·g·B'ᵀ, or its transpose α·B'·gᵀ when A is stored transposed.
        if (c.Needs(0))
            c.Contribute(c.Input(0), transA ? Product(b, g, transB, true) : Product(g, b, false, !transB));
        // ∂L/∂B = α·A'ᵀ·g, or its transpose α·gᵀ·A' when B is stored transposed.
        if (c.Needs(1))
            c.Contribute(c.Input(1), transB ? Product(g, a, true, transA) : Product(a, g, !transA, false));
        if (c.Needs(2))
        {
            var gc = beta == 1f ? g : c.Emit.Mul(g, c.Const(beta));
            c.Contribute(c.Input(2), c.Unbroadcast(gc, c.Shapes[c.Output(0)], c.Input(2)));
        }
    }

    /// <summary>
    /// The adjoint of a convolution with respect to its input is the transposed convolution with the same weights,
    /// strides, pads, dilations and groups. output_padding restores the input rows the forward stride skipped; with
    /// dynamic spatial sizes it is taken at its maximum (stride − 1) and the result is cropped to the input's size.
    /// </summary>
    public static void Conv(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var autoPad = c.AttrString("auto_pad", "NOTSET");
        if (autoPad is not ("NOTSET" or "VALID"))
            throw c.Unsupported($"auto_pad={autoPad} (explicit pads are required)");
        var (x, w, y) = (c.Input(0), c.Input(1), c.Output(0));
        var spatial = c.Shapes.Rank(x) - 2;
        var kernel = c.AttrInts("kernel_shape") ?? c.Shapes[w][2..];
        var strides = c.AttrInts("strides") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var dilations = c.AttrInts("dilations") ?? Enumerable.Repeat(1L, spatial).ToArray();
        var pads = autoPad == "VALID" ? new long[2 * spatial] : c.AttrInts("pads") ?? new long[2 * spatial];
        var group = c.AttrInt("group", 1);

        var crop = c.Shapes.Dynamic && strides.Any(s => s > 1);
        var outputPadding = new long[spatial];
        for (var i = 0; i < spatial; i++)
            outputPadding[i] = crop
                ? strides[i] - 1
                : c.Shapes[x][2 + i]
                    + pads[i]
                    + pads[spatial + i]
                    - ((kernel[i] - 1) * dilations[i] + 1)
                    - strides[i] * (c.Shapes[y][2 + i] - 1);

        var grad = c.Emit.Node(
            "ConvTranspose",
            [c.G, c.F(w)],
            GraphEmitter.Ints("strides", strides),
            GraphEmitter.Ints("pads", pads),
            GraphEmitter.Ints("dilations", dilations),
            GraphEmitter.Int("group", group),
            GraphEmitter.Ints("kernel_shape", kernel),
            GraphEmitter.Ints("output_padding", outputPadding)
        );
        if (crop)
        {
            var axes = Enumerable.Range(2, spatial).Select(i => (long)i).ToArray();
            grad = c.Emit.Slice(
                grad,
                c.Emit.Int64s(new long[spatial]),
                c.DimsOf(x, 2, 2 + spatial),
                c.Emit.Int64s(axes)
            );
        }
        c.Contribute(x, grad);
    }
}
