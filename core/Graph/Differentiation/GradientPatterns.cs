using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// A composite of forward nodes that the reverse pass differentiates as a whole when it reaches the composite's last
/// node (its root), in place of the root's own rule: the composite's gradient goes to its inputs in fewer, larger
/// kernels. Other readers of the composite's intermediates still get their gradients through the per-op rules, so
/// the result is exact whatever else reads them.
/// </summary>
public abstract record FusedPattern(NodeProto Root)
{
    /// <summary>What the pattern is, for reports and tests.</summary>
    public abstract string Name { get; }

    internal abstract void Differentiate(GradientContext c);
}

/// <summary>
/// The pattern-fusion pass: finds, before the reverse pass, the blocks that exports spell out op by op and that
/// have a cheaper joint gradient — SiLU, exact GELU, decomposed LayerNorm, attention's softmax feeding P·V, and
/// attention scores scaled by a constant.
/// </summary>
public static class GradientPatterns
{
    /// <param name="recomputeAttention">Match <see cref="SelfAttentionPattern"/>:
    /// attention maps recomputed in the backward.</param>
    public static IReadOnlyDictionary<NodeProto, FusedPattern> Match(
        OnnxGraph graph,
        TensorShapes shapes,
        bool recomputeAttention = true
    )
    {
        var index = new GraphIndex(graph);
        var found = new Dictionary<NodeProto, FusedPattern>(ReferenceEqualityComparer.Instance);
        foreach (var node in graph.Graph.Node.Where(n => n.Domain is "" or "ai.onnx"))
        {
            FusedPattern? pattern = node.OpType switch
            {
                "Mul" => Silu(index, node) ?? Gelu(index, node) ?? ScaledScores(index, shapes, node),
                "Div" => DecomposedLayerNorm(index, shapes, node) ?? ScaledScores(index, shapes, node),
                "Softmax" => AttentionSoftmax(index, shapes, node),
                "MatMul" when recomputeAttention => SelfAttention(index, shapes, node),
                _ => null,
            };
            if (pattern is not null)
                found[node] = pattern;
        }
        return found;
    }

    /// <summary>SiLU as exports spell it, y = x ⊙ Sigmoid(x).</summary>
    private static FusedPattern? Silu(GraphIndex g, NodeProto mul)
    {
        var (a, b) = (mul.Input[0], mul.Input[1]);
        return g.Producer(b, "Sigmoid") is { } sb && sb.Input[0] == a ? new SiluPattern(mul, a, b)
            : g.Producer(a, "Sigmoid") is { } sa && sa.Input[0] == b ? new SiluPattern(mul, b, a)
            : null;
    }

    /// <summary>
    /// Exact GELU as exports spell it, y = (x ⊙ (Erf(x / c) + 1)) ⊙ h with scalar constants c (√2) and h (½).
    /// </summary>
    private static FusedPattern? Gelu(GraphIndex g, NodeProto mul)
    {
        if (mul.Input.Count != 2)
            return null;
        for (var i = 0; i < 2; i++)
        {
            if (
                g.Producer(mul.Input[i], "Mul") is not { } product
                || g.ScalarConstant(mul.Input[1 - i]) is not { } half
                || half <= 0
            )
                continue;
            for (var j = 0; j < 2; j++)
            {
                var (x, e1) = (product.Input[j], product.Input[1 - j]);
                if (g.Producer(e1, "Add") is not { } plusOne || plusOne.Input.Count != 2)
                    continue;
                var erfAt = g.Producer(plusOne.Input[0], "Erf") is not null ? 0 : 1;
                if (
                    g.Producer(plusOne.Input[erfAt], "Erf") is not { } erf
                    || g.ScalarConstant(plusOne.Input[1 - erfAt]) != 1
                    || g.Producer(erf.Input[0], "Div") is not { } scale
                    || scale.Input[0] != x
                    || g.ScalarConstant(scale.Input[1]) is not { } c
                    || c <= 0
                )
                    continue;
                return new GeluPattern(mul, x, e1, scale.Output[0], half, c);
            }
        }
        return null;
    }

    /// <summary>
    /// LayerNorm as opset-14 exports spell it: y = (x − mean(x)) / sqrt(mean((x − mean(x))²) + ε) over the same axes.
    /// </summary>
    private static FusedPattern? DecomposedLayerNorm(GraphIndex g, TensorShapes shapes, NodeProto div)
    {
        var (centered, sigma) = (div.Input[0], div.Input[1]);
        if (g.Producer(sigma, "Sqrt") is not { } sqrt || g.Producer(sqrt.Input[0], "Add") is not { } addEps)
            return null;
        var variance = addEps.Input.FirstOrDefault(i => g.ScalarConstant(i) is null);
        if (
            variance is null
            || addEps.Input.Select(g.ScalarConstant).FirstOrDefault(v => v is not null) is not { } epsilon
            || g.Producer(variance, "ReduceMean") is not { } varianceMean
        )
            return null;
        if (
            g.Producer(varianceMean.Input[0], "Pow") is not { } square
            || square.Input[0] != centered
            || !g.Graph.TryGetConstantFloats(square.Input[1], out var exponent)
            || exponent is not [2.0]
        )
            return null;
        if (
            g.Producer(centered, "Sub") is not { } sub
            || g.Producer(sub.Input[1], "ReduceMean") is not { } mean
            || mean.Input[0] != sub.Input[0]
        )
            return null;
        var x = sub.Input[0];
        var rank = shapes.Rank(x);
        if (
            NormalizationRules.ReduceAxes(g.Graph, mean, rank) is not { } axes
            || NormalizationRules.ReduceAxes(g.Graph, varianceMean, rank) is not { } varianceAxes
            || !axes.SequenceEqual(varianceAxes)
            || shapes.Rank(centered) != rank
            || !shapes[div.Output[0]].SequenceEqual(shapes[x])
        )
            return null;
        return new DecomposedLayerNormPattern(div, x, axes, (float)epsilon);
    }

    /// <summary>
    /// Attention's softmax P read only by O = P·V (over its last axis, leading axes equal): the row dot Σ_j g_ij P_ij
    /// equals Σ_d dO_id O_id.
    /// </summary>
    private static FusedPattern? AttentionSoftmax(GraphIndex g, TensorShapes shapes, NodeProto softmax)
    {
        var y = softmax.Output[0];
        var rank = shapes.Rank(y);
        if (
            NormalizationRules.SoftmaxAxes(g.Graph, softmax, rank) is not [var axis]
            || axis != rank - 1
            || g.IsGraphOutput(y)
        )
            return null;
        if (
            g.Readers(y) is not [{ OpType: "MatMul", Domain: "" or "ai.onnx" } matmul]
            || matmul.Input[0] != y
            || matmul.Input[1] == y
        )
            return null;
        var o = matmul.Output[0];
        if (shapes.Rank(o) != rank || !shapes[o].AsSpan(0, rank - 1).SequenceEqual(shapes[y].AsSpan(0, rank - 1)))
            return null;
        return new AttentionSoftmaxPattern(softmax, o);
    }

    /// <summary>
    /// s·(A·B) or (A·B)/s for a scalar constant s, with A·B read by nothing else and larger than A (attention scores
    /// q·kᵀ·d^−½: an N×N map from N×d operands).
    /// </summary>
    private static FusedPattern? ScaledScores(GraphIndex g, TensorShapes shapes, NodeProto node)
    {
        if (node.Input.Count != 2)
            return null;
        for (var i = 0; i < (node.OpType == "Mul" ? 2 : 1); i++)
        {
            var (m, s) = (node.Input[i], node.Input[1 - i]);
            if (
                g.Producer(m, "MatMul") is not { } matMul
                || g.ScalarConstant(s) is not { } scale
                || scale == 0
                || g.Readers(m).Count != 1
                || g.IsGraphOutput(m)
            )
                continue;
            if (Count(shapes[m]) <= Count(shapes[matMul.Input[0]]))
                continue;
            return new ScaledScoresPattern(node, matMul, node.OpType == "Mul" ? scale : 1 / scale);
        }
        return null;
    }

    /// <summary>
    /// Attention whose map is larger than its operands (self-attention), matched at its P·V MatMul, when Q, Kᵀ and V
    /// have the same leading axes: the backward slices all three by rows, so none may be broadcast.
    /// </summary>
    private static FusedPattern? SelfAttention(GraphIndex g, TensorShapes shapes, NodeProto valueProduct) =>
        AttentionBlock.At(g, shapes, valueProduct) is { } block
        && shapes[block.KeyTransposed][..^2].SequenceEqual(shapes[block.Q][..^2])
        && shapes[block.V][..^2].SequenceEqual(shapes[block.Q][..^2])
            ? new SelfAttentionPattern(block, (int)Math.Min(shapes[block.Map][0], SelfAttentionPattern.MaxChunks))
            : null;

    private static long Count(long[] shape) => shape.Aggregate(1L, (p, d) => p * d);
}

/// <summary>∂L/∂x = g ⊙ (s + y ⊙ (1 − s)) in 4 ops instead of the 6 and a Sum the Mul and Sigmoid rules emit.</summary>
internal sealed record SiluPattern(NodeProto Root, string X, string Sigmoid) : FusedPattern(Root)
{
    public override string Name => "SiLU";

    internal override void Differentiate(GradientContext c)
    {
        if (!c.Needs(X))
            return;
        var s = c.F(Sigmoid);
        c.Contribute(X, c.Emit.Mul(c.G, c.Emit.Add(s, c.Emit.Mul(c.F(Root.Output[0]), c.Emit.Sub(c.Const(1), s)))));
    }
}

/// <summary>
/// ∂L/∂x = g ⊙ (h·(Erf(z) + 1) + x ⊙ exp(ln(2h / (c√π)) − z²)) with the forward's z = x / c, in 7 ops instead of
/// the op-by-op rules' 10 and a Sum.
/// </summary>
internal sealed record GeluPattern(NodeProto Root, string X, string ErfPlusOne, string Z, double Half, double C)
    : FusedPattern(Root)
{
    public override string Name => "GELU";

    internal override void Differentiate(GradientContext c)
    {
        if (!c.Needs(X))
            return;
        var z = c.F(Z);
        var gauss = c.Emit.Node(
            "Exp",
            [c.Emit.Sub(c.Const(Math.Log(2 * Half / (C * Math.Sqrt(Math.PI)))), c.Emit.Mul(z, z))]
        );
        c.Contribute(
            X,
            c.Emit.Mul(c.G, c.Emit.Add(c.Emit.Mul(c.F(ErfPlusOne), c.Const(Half)), c.Emit.Mul(c.F(X), gauss)))
        );
    }
}

/// <summary>
/// ∂L/∂x = (g − mean(g) − y ⊙ mean(g ⊙ y)) / σ, with y and σ recomputed from x rather than read from the pattern's
/// intermediates: then nothing outside the pattern reads them and ONNX Runtime still fuses the forward into one
/// LayerNormalization kernel (the guidance graph's run time on small models is dominated by its count of small ops).
/// </summary>
internal sealed record DecomposedLayerNormPattern(NodeProto Root, string X, long[] Axes, float Epsilon)
    : FusedPattern(Root)
{
    public override string Name => "LayerNorm";

    internal override void Differentiate(GradientContext c)
    {
        if (!c.Needs(X))
            return;
        var (xhat, invStd) = NormalizationRules.Statistics(c, X, Axes, Epsilon);
        c.Contribute(X, NormalizationRules.InputGradient(c, c.G, xhat, invStd, Axes));
    }
}

/// <summary>
/// dx = P ⊙ (g − Σ_d dO ⊙ O): for self-attention, where d ≪ N, the row dot is taken over the N×d output instead of
/// the N×N map (FlashAttention's trick). Without a gradient at O (P·V off the loss path) the plain rule applies.
/// </summary>
internal sealed record AttentionSoftmaxPattern(NodeProto Root, string ValueProduct) : FusedPattern(Root)
{
    public override string Name => "attention softmax";

    internal override void Differentiate(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        if (c.GradientOf(ValueProduct) is not { } dO)
        {
            NormalizationRules.Softmax(c);
            return;
        }
        var dot = c.Emit.ReduceSum(
            c.Emit.Mul(dO, c.F(ValueProduct)),
            [c.Shapes.Rank(ValueProduct) - 1],
            keepDims: true
        );
        c.Pass(0, c.Emit.Mul(c.F(Root.Output[0]), c.Emit.Sub(c.G, dot)));
    }
}

/// <summary>
/// The scale of s·(A·B) applied to the gradients of A and B rather than to the larger gradient of A·B.
/// </summary>
internal sealed record ScaledScoresPattern(NodeProto Root, NodeProto MatMul, double Scale) : FusedPattern(Root)
{
    public override string Name => "scaled scores";

    internal override void Differentiate(GradientContext c) =>
        LinearRules.MatMulGradients(c, MatMul, c.G, c.Emit.Scalar(Scale, c.GradType(MatMul.Output[0])));
}
