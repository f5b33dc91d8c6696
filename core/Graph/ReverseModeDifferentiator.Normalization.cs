using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

// Softmax, normalizations and reductions.
public sealed partial class ReverseModeDifferentiator
{
    /// <summary>
    /// dx = y ⊙ (g − Σ g⊙y) over the softmax axes. Before opset 13 Softmax flattens the input to 2-D at `axis`
    /// (default 1) and normalizes over all trailing axes together; from 13 on it normalizes over `axis` alone (default −1).
    /// </summary>
    private void Softmax(string g)
    {
        if (!Needs(0)) return;
        var y = _node.Output[0];
        var rank = _shapes.Rank(y);
        var modern = _graph.Opset >= 13;
        var axis = Axis(AttrInt("axis", modern ? -1 : 1), rank);
        var axes = modern ? [axis] : Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray();
        var yf = F(y);
        var dot = AttentionRowDot(y, axes, rank) ?? _e.ReduceSum(_e.Mul(g, yf), axes, keepDims: true);
        Pass(0, _e.Mul(yf, _e.Sub(g, dot)));
    }

    /// <summary>
    /// Attention's softmax P feeds only O = P·V. Then its g = dO·Vᵀ and Σ_j g_ij P_ij = Σ_d dO_id O_id, so the row
    /// dot is taken over O's d columns instead of P's N (FlashAttention's trick): for self-attention, where d ≪ N,
    /// that replaces a Mul and a ReduceSum over the N×N map by two over the N×d output. Null when the pattern does
    /// not hold (P read elsewhere, e.g. by the attention loss, softmax over other axes, batch dims broadcast).
    /// </summary>
    private string? AttentionRowDot(string y, long[] axes, int rank)
    {
        if (axes is not [var axis] || axis != rank - 1 || _graph.Graph.Output.Any(o => o.Name == y)) return null;
        if (!_consumers.TryGetValue(y, out var readers) || readers is not [{ OpType: "MatMul", Domain: "" or "ai.onnx" } matmul]
            || matmul.Input[0] != y || matmul.Input[1] == y) return null;
        var o = matmul.Output[0];
        if (_shapes.Rank(o) != rank || !_shapes[o].AsSpan(0, rank - 1).SequenceEqual(_shapes[y].AsSpan(0, rank - 1))) return null;
        if (GradientOf(o) is not { } dO) return null;
        return _e.ReduceSum(_e.Mul(dO, F(o)), axes, keepDims: true);
    }

    private void InstanceNormalization(string g)
    {
        if (!Needs(0)) return;
        var x = _node.Input[0];
        var rank = _shapes.Rank(x);
        var axes = Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray();
        // GroupNorm exports pass a constant scale of ones and bias of zeros (the affine part follows as Mul/Add):
        // nothing to multiply, and the forward output is x̂ itself.
        var unitScale = _graph.TryGetConstantFloats(_node.Input[1], out var scale) && scale.All(v => v == 1);
        var zeroBias = _graph.TryGetConstantFloats(_node.Input[2], out var bias) && bias.All(v => v == 0);
        if (!unitScale)
        {
            // scale is per channel [C]: lay it along axis 1 of the input.
            var scaleShape = new long[rank - 1];
            Array.Fill(scaleShape, 1);
            scaleShape[0] = -1;
            g = _e.Mul(g, _e.Reshape(F(_node.Input[1]), _e.Int64s(scaleShape)));
        }
        var y = _node.Output[0];
        var epsilon = AttrFloat("epsilon", 1e-5f);
        var isXhat = unitScale && zeroBias;
        if (isXhat && LayerNormalizationStatistics(x, axes) && _types.Of(y) == TensorValues.Float)
        {
            // The forward node is rewritten in place as the LayerNormalization over the same axes (ones as scale, no
            // bias): the same x̂, and its 1/σ output spares the backward a normalization kernel of its own.
            var ones = _e.Expand(Const(1), DimsOf(x, 2, rank));
            var invStd = _graph.UniqueName("grad_InvStdDev");
            _node.OpType = "LayerNormalization";
            _node.Domain = "";
            _node.Input.Clear();
            _node.Input.AddRange([x, ones]);
            _node.Attribute.Clear();
            _node.Attribute.AddRange([GraphEmitter.Int("axis", 2), GraphEmitter.Float("epsilon", epsilon)]);
            _node.Output.AddRange(["", invStd]);
            _reordered = true;
            Pass(0, NormalizationInputGradient(g, y, invStd, axes));
            return;
        }
        var xhat = isXhat && _types.Of(y) is TensorValues.Float or TensorValues.Double ? y : null;
        var (normalized, invStdDev) = NormalizationStatistics(x, axes, epsilon);
        Pass(0, NormalizationInputGradient(g, xhat ?? normalized, invStdDev, axes));
    }

    private void LayerNormalization(string?[] g)
    {
        if (g.Skip(1).Any(o => o is not null)) throw Unsupported("gradients through its Mean/InvStdDev outputs");
        if (!Needs(0)) return;
        var x = _node.Input[0];
        var rank = _shapes.Rank(x);
        var axis = Axis(AttrInt("axis", -1), rank);
        var axes = Enumerable.Range((int)axis, rank - (int)axis).Select(i => (long)i).ToArray();
        var (xhat, invStd) = NormalizationStatistics(x, axes, AttrFloat("epsilon", 1e-5f));
        Pass(0, NormalizationInputGradient(_e.Mul(g[0]!, F(_node.Input[1])), xhat, invStd, axes));
    }

    /// <summary>
    /// LayerNorm as opset-14 exports spell it: y = (x − mean(x)) / sqrt(mean((x − mean(x))²) + ε) over the same axes.
    /// At its Div the whole pattern is differentiated at once, ∂L/∂x = (g − mean(g) − y ⊙ mean(g ⊙ y)) / σ, with y
    /// and σ recomputed from x rather than read from the pattern's intermediates: then nothing outside the pattern
    /// reads them and ONNX Runtime still fuses the forward into one LayerNormalization kernel (the guidance graph's
    /// run time is dominated by its count of small ops). Paths that leave the pattern from its intermediates still
    /// flow through the op-by-op rules, so the result is exact whatever else consumes them.
    /// </summary>
    private bool DecomposedLayerNorm(string g)
    {
        var (centered, sigma) = (_node.Input[0], _node.Input[1]);
        if (Producer(sigma, "Sqrt") is not { } sqrt || Producer(sqrt.Input[0], "Add") is not { } addEps) return false;
        var variance = addEps.Input.FirstOrDefault(i => !IsScalarConstant(i));
        if (variance is null || addEps.Input.Select(ScalarConstant).FirstOrDefault(v => v is not null) is not { } epsilon
            || Producer(variance, "ReduceMean") is not { } varianceMean) return false;
        if (Producer(varianceMean.Input[0], "Pow") is not { } square || square.Input[0] != centered
            || !_graph.TryGetConstantFloats(square.Input[1], out var exponent) || exponent is not [2.0]) return false;
        if (Producer(centered, "Sub") is not { } sub || Producer(sub.Input[1], "ReduceMean") is not { } mean || mean.Input[0] != sub.Input[0]) return false;
        var x = sub.Input[0];
        var rank = _shapes.Rank(x);
        if (ReduceAxes(mean, rank) is not { } axes || ReduceAxes(varianceMean, rank) is not { } varianceAxes || !axes.SequenceEqual(varianceAxes)
            || _shapes.Rank(centered) != rank || !_shapes[_node.Output[0]].SequenceEqual(_shapes[x])) return false;
        if (!_dependsOnInput.Contains(x) || !IsFloating(x)) return true;

        var (xhat, invStd) = NormalizationStatistics(x, axes, (float)epsilon);
        Contribute(x, NormalizationInputGradient(g, xhat, invStd, axes));
        return true;
    }

    private NodeProto? Producer(string tensor, string opType) =>
        _producers.TryGetValue(tensor, out var node) && node.OpType == opType && node.Domain is "" or "ai.onnx" ? node : null;

    private bool IsScalarConstant(string tensor) => ScalarConstant(tensor) is not null;

    /// <summary>A ReduceMean/ReduceSum's axes, sorted and non-negative, when it keeps dims and names them.</summary>
    private long[]? ReduceAxes(NodeProto reduce, int rank) =>
        (reduce.Attribute.FirstOrDefault(a => a.Name == "keepdims")?.I ?? 1) != 0 && NamedReduceAxes(reduce) is { Length: > 0 } axes
            ? axes.Select(a => Axis(a, rank)).Order().ToArray()
            : null;

    /// <summary>
    /// The axes a ReduceMean/ReduceSum names, as written: an attribute before opset 18 (ReduceSum: 13), a constant
    /// input from then on; empty when it names none, null when its axes input is not a constant.
    /// </summary>
    private long[]? NamedReduceAxes(NodeProto reduce)
    {
        var fromInput = reduce.OpType == "ReduceSum" ? _graph.Opset >= 13 : _graph.Opset >= 18;
        if (!fromInput) return reduce.Attribute.FirstOrDefault(a => a.Name == "axes")?.Ints.ToArray() ?? [];
        if (reduce.Input.Count < 2 || reduce.Input[1].Length == 0) return [];
        return _graph.TryGetConstantInts(reduce.Input[1], out var axes) ? axes : null;
    }

    /// <summary>
    /// For x̂ = (x − μ)/σ over <paramref name="axes"/> (biased variance) and gh = ∂L/∂x̂:
    /// ∂L/∂x = (gh − mean(gh) − x̂ ⊙ mean(gh ⊙ x̂)) / σ.
    /// </summary>
    private string NormalizationInputGradient(string gh, string xhat, string invStd, long[] axes)
    {
        var meanG = _e.ReduceMean(gh, axes, keepDims: true);
        var meanGx = _e.ReduceMean(_e.Mul(gh, xhat), axes, keepDims: true);
        return _e.Mul(invStd, _e.Sub(_e.Sub(gh, meanG), _e.Mul(xhat, meanGx)));
    }

    /// <summary>
    /// Whether one LayerNormalization can give x̂ and 1/σ over <paramref name="axes"/> of x: opset ≥ 17, trailing
    /// axes, float32 (its 1/σ output is float32 whatever its input, so float64 graphs go op by op).
    /// </summary>
    private bool LayerNormalizationStatistics(string x, long[] axes)
    {
        var rank = _shapes.Rank(x);
        return _graph.Opset >= 17 && axes.Length > 0 && GradType(x) == TensorValues.Float
            && axes.SequenceEqual(Enumerable.Range(rank - axes.Length, axes.Length).Select(i => (long)i));
    }

    /// <summary>x̂ and 1/√(var + ε) over <paramref name="axes"/> of x (1/σ keeps the reduced axes as size 1), recomputed from x.</summary>
    private (string Xhat, string InvStd) NormalizationStatistics(string x, long[] axes, float epsilon)
    {
        var xf = F(x);
        var rank = _shapes.Rank(x);
        if (LayerNormalizationStatistics(x, axes))
        {
            var axis = rank - axes.Length;
            var ones = _e.Expand(Const(1), DimsOf(x, axis, rank));
            var outputs = _e.Nodes("LayerNormalization", [xf, ones], 3,
                GraphEmitter.Int("axis", axis), GraphEmitter.Float("epsilon", epsilon));
            return (outputs[0], outputs[2]);
        }
        var centered = _e.Sub(xf, _e.ReduceMean(xf, axes, keepDims: true));
        var variance = _shapes.Dynamic
            ? _e.ReduceMean(_e.Mul(centered, centered), axes, keepDims: true)
            : _e.Div(_e.ReduceSumSquare(centered, axes, keepDims: true), Const(StaticCount(x, axes)));
        var invStd = _e.Node("Pow", [_e.Add(variance, Const(epsilon)), Const(-0.5)]);
        return (_e.Mul(centered, invStd), invStd);
    }

    private void Reduce(string g)
    {
        if (!Needs(0)) return;
        var (x, y) = (_node.Input[0], _node.Output[0]);
        var rank = _shapes.Rank(x);
        var axes = NamedReduceAxes(_node) ?? throw Unsupported("its axes input is not a constant");
        if (axes.Length == 0)
        {
            if (AttrInt("noop_with_empty_axes", 0) != 0)
            {
                Pass(0, g);
                return;
            }
            axes = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        }
        axes = axes.Select(a => Axis(a, rank)).Order().ToArray();
        var keep = AttrInt("keepdims", 1) != 0 || rank == 0 ? g : _e.Unsqueeze(g, axes);
        var grad = _e.Expand(keep, ShapeOf(x));
        if (_node.OpType == "ReduceMean") grad = _e.Div(grad, ReducedCount(x, y, axes));
        Pass(0, grad);
    }

    /// <summary>How many elements each mean averaged, in the gradient's type.</summary>
    private string ReducedCount(string x, string y, long[] axes)
    {
        if (!_shapes.Dynamic) return Const(StaticCount(x, axes));
        var count = _e.Div(_e.Node("Size", [x]), _e.Node("Size", [y]));
        return _e.Cast(count, GradType(y));
    }

    /// <summary>How many elements of x one position of the other axes spans over <paramref name="axes"/> (static shapes).</summary>
    private long StaticCount(string x, long[] axes) => axes.Aggregate(1L, (p, a) => p * _shapes[x][a]);
}
