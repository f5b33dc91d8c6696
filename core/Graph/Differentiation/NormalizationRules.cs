using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>Softmax, normalizations and reductions, and the normalization statistics the patterns share.</summary>
internal static class NormalizationRules
{
    /// <summary>
    /// dx = y ⊙ (g − Σ g⊙y) over the softmax axes. Before opset 13 Softmax flattens the input to 2-D at `axis`
    /// (default 1) and normalizes over all trailing axes together;
    /// from 13 on it normalizes over `axis` alone (default −1).
    /// </summary>
    public static void Softmax(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var y = c.Output(0);
        var axes = SoftmaxAxes(c.Graph, c.Node, c.Shapes.Rank(y));
        var yf = c.F(y);
        c.Pass(0, c.Emit.Mul(yf, c.Emit.Sub(c.G, c.Emit.ReduceSum(c.Emit.Mul(c.G, yf), axes, keepDims: true))));
    }

    public static long[] SoftmaxAxes(OnnxGraph graph, NodeProto softmax, int rank)
    {
        var modern = graph.Opset >= 13;
        var axis = GradientContext.Axis(GradientContext.AttrInt(softmax, "axis", modern ? -1 : 1), rank);
        return modern ? [axis] : Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray();
    }

    public static void InstanceNormalization(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var x = c.Input(0);
        var rank = c.Shapes.Rank(x);
        var axes = Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray();
        var g = c.G;
        // GroupNorm exports pass a constant scale of ones and bias of zeros (the affine part follows as Mul/Add):
        // nothing to multiply, and the forward output is x̂ itself.
        var unitScale = IsOnes(c, c.Input(1));
        var zeroBias = c.Graph.TryGetConstantFloats(c.Input(2), out var bias) && bias.All(v => v == 0);
        if (!unitScale)
        {
            // scale is per channel [C]: lay it along axis 1 of the input.
            var scaleShape = new long[rank - 1];
            Array.Fill(scaleShape, 1);
            scaleShape[0] = -1;
            g = c.Emit.Mul(g, c.Emit.Reshape(c.F(c.Input(1)), c.Emit.Int64s(scaleShape)));
        }
        var y = c.Output(0);
        var xhat = unitScale && zeroBias && c.Types.Of(y) is TensorValues.Float or TensorValues.Double ? y : null;
        var (normalized, invStd) = Statistics(c, x, axes, c.AttrFloat("epsilon", 1e-5f));
        c.Pass(0, InputGradient(c, g, xhat ?? normalized, invStd, axes));
    }

    /// <summary>
    /// y = x̂·scale + bias over the trailing axes from `axis`. x̂ is y itself when the scale is ones and there is no
    /// bias (GroupNorm rewritten by <see cref="GroupNormAsLayerNormalization"/>), and 1/σ is the node's InvStdDev
    /// output when it has one; otherwise both are recomputed from x.
    /// </summary>
    public static void LayerNormalization(GradientContext c)
    {
        if (c.OutputGradients.Skip(1).Any(o => o is not null))
            throw c.Unsupported("gradients through its Mean/InvStdDev outputs");
        if (!c.Needs(0))
            return;
        var x = c.Input(0);
        var rank = c.Shapes.Rank(x);
        var axis = GradientContext.Axis(c.AttrInt("axis", -1), rank);
        var axes = Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray();
        var unitScale = IsOnes(c, c.Input(1));
        var noBias = c.Node.Input.Count < 3 || c.Node.Input[2].Length == 0;
        var y = c.Output(0);
        var storedInvStd = c.Node.Output.Count > 2 && c.Node.Output[2].Length > 0 ? c.Node.Output[2] : null;
        var (xhat, invStd) =
            unitScale && noBias && storedInvStd is not null && c.Types.Of(y) == TensorValues.Float
                ? (y, storedInvStd)
                : Statistics(c, x, axes, c.AttrFloat("epsilon", 1e-5f));
        var gh = unitScale ? c.G : c.Emit.Mul(c.G, c.F(c.Input(1)));
        c.Pass(0, InputGradient(c, gh, xhat, invStd, axes));
    }

    /// <summary>Whether a tensor is all ones: a constant, or a scalar constant 1 expanded.</summary>
    private static bool IsOnes(GradientContext c, string tensor)
    {
        if (c.Graph.TryGetConstantFloats(tensor, out var values))
            return values.All(v => v == 1);
        return c.Producer(tensor, "Expand") is { } expand && c.ScalarConstant(expand.Input[0]) == 1;
    }

    public static void Reduce(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var (x, y) = (c.Input(0), c.Output(0));
        var rank = c.Shapes.Rank(x);
        var axes = NamedReduceAxes(c.Graph, c.Node) ?? throw c.Unsupported("its axes input is not a constant");
        if (axes.Length == 0)
        {
            if (c.AttrInt("noop_with_empty_axes", 0) != 0)
            {
                c.Pass(0, c.G);
                return;
            }
            axes = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        }
        axes = axes.Select(a => GradientContext.Axis(a, rank)).Order().ToArray();
        var keep = c.AttrInt("keepdims", 1) != 0 || rank == 0 ? c.G : c.Emit.Unsqueeze(c.G, axes);
        var grad = c.Emit.Expand(keep, c.ShapeOf(x));
        if (c.Node.OpType == "ReduceMean")
            grad = c.Emit.Div(grad, ReducedCount(c, x, y, axes));
        c.Pass(0, grad);
    }

    /// <summary>A ReduceMean/ReduceSum's axes, sorted and non-negative, when it keeps dims and names them.</summary>
    public static long[]? ReduceAxes(OnnxGraph graph, NodeProto reduce, int rank) =>
        GradientContext.AttrInt(reduce, "keepdims", 1) != 0 && NamedReduceAxes(graph, reduce) is { Length: > 0 } axes
            ? axes.Select(a => GradientContext.Axis(a, rank)).Order().ToArray()
            : null;

    /// <summary>
    /// The axes a ReduceMean/ReduceSum names, as written: an attribute before opset 18 (ReduceSum: 13), a constant
    /// input from then on; empty when it names none, null when its axes input is not a constant.
    /// </summary>
    private static long[]? NamedReduceAxes(OnnxGraph graph, NodeProto reduce)
    {
        var fromInput = reduce.OpType == "ReduceSum" ? graph.Opset >= 13 : graph.Opset >= 18;
        if (!fromInput)
            return reduce.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray() ?? [];
        if (reduce.Input.Count < 2 || reduce.Input[1].Length == 0)
            return [];
        return graph.TryGetConstantInts(reduce.Input[1], out var axes) ? axes : null;
    }

    /// <summary>
    /// For x̂ = (x − μ)/σ over <paramref name="axes"/> (biased variance) and gh = ∂L/∂x̂:
    /// ∂L/∂x = (gh − mean(gh) − x̂ ⊙ mean(gh ⊙ x̂)) / σ.
    /// </summary>
    public static string InputGradient(GradientContext c, string gh, string xhat, string invStd, long[] axes)
    {
        var meanG = c.Emit.ReduceMean(gh, axes, keepDims: true);
        var meanGx = c.Emit.ReduceMean(c.Emit.Mul(gh, xhat), axes, keepDims: true);
        return c.Emit.Mul(invStd, c.Emit.Sub(c.Emit.Sub(gh, meanG), c.Emit.Mul(xhat, meanGx)));
    }

    /// <summary>
    /// Whether one LayerNormalization can give x̂ and 1/σ over <paramref name="axes"/> of a tensor of rank
    /// <paramref name="rank"/>: opset ≥ 17, trailing axes, float32 (its 1/σ output is float32 whatever its input,
    /// so float64 graphs go op by op).
    /// </summary>
    public static bool FitsLayerNormalization(OnnxGraph graph, int rank, long[] axes, int gradType) =>
        graph.Opset >= 17
        && axes.Length > 0
        && gradType == TensorValues.Float
        && axes.SequenceEqual(Enumerable.Range(rank - axes.Length, axes.Length).Select(i => (long)i));

    /// <summary>
    /// x̂ and 1/√(var + ε) over <paramref name="axes"/> of x (1/σ keeps the reduced axes as size 1), recomputed from x.
    /// </summary>
    public static (string Xhat, string InvStd) Statistics(GradientContext c, string x, long[] axes, float epsilon)
    {
        var xf = c.F(x);
        var rank = c.Shapes.Rank(x);
        if (FitsLayerNormalization(c.Graph, rank, axes, c.GradType(x)))
        {
            var axis = rank - axes.Length;
            var ones = c.Emit.Expand(c.Const(1), c.DimsOf(x, axis, rank));
            var outputs = c.Emit.Nodes(
                "LayerNormalization",
                [xf, ones],
                3,
                GraphEmitter.Int("axis", axis),
                GraphEmitter.Float("epsilon", epsilon)
            );
            return (outputs[0], outputs[2]);
        }
        var centered = c.Emit.Sub(xf, c.Emit.ReduceMean(xf, axes, keepDims: true));
        var variance = c.Shapes.Dynamic
            ? c.Emit.ReduceMean(c.Emit.Mul(centered, centered), axes, keepDims: true)
            : c.Emit.Div(
                c.Emit.ReduceSumSquare(centered, axes, keepDims: true),
                c.Const(StaticCount(c.Shapes, x, axes))
            );
        var invStd = c.Emit.Node("Pow", [c.Emit.Add(variance, c.Const(epsilon)), c.Const(-0.5)]);
        return (c.Emit.Mul(centered, invStd), invStd);
    }

    /// <summary>How many elements each mean averaged, in the gradient's type.</summary>
    private static string ReducedCount(GradientContext c, string x, string y, long[] axes)
    {
        if (!c.Shapes.Dynamic)
            return c.Const(StaticCount(c.Shapes, x, axes));
        var count = c.Emit.Div(c.Emit.Node("Size", [x]), c.Emit.Node("Size", [y]));
        return c.Emit.Cast(count, c.GradType(y));
    }

    /// <summary>
    /// How many elements of x one position of the other axes spans over <paramref name="axes"/> (static shapes).
    /// </summary>
    public static long StaticCount(TensorShapes shapes, string x, long[] axes) =>
        axes.Aggregate(1L, (p, a) => p * shapes[x][a]);
}
