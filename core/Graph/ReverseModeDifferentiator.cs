using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Reverse-mode differentiation of one scalar tensor of an ONNX graph with respect to one input, emitted into the
/// same graph as standard ONNX ops valid for the graph's opset (a graph of opset 13–16 is declared opset 17 first,
/// see <see cref="OnnxGraph.UpgradeOpset"/>, for LayerNormalization). Only nodes on a path from the input to the scalar
/// are differentiated; integer shape plumbing (Shape, Gather on shapes, Range, …) carries no gradient and is
/// skipped. Gradients are float32 (float64 when the forward values are float64), fp16 forward values are cast up.
/// Weight gradients are never emitted: only the input's. Forward nodes are left as they are, except that a
/// GroupNorm's InstanceNormalization (unit scale, zero bias, fp32) is rewritten in place as the equivalent
/// LayerNormalization, whose 1/σ output the backward reads.
/// </summary>
public sealed partial class ReverseModeDifferentiator
{
    private readonly OnnxGraph _graph;
    private readonly GraphEmitter _e;
    private readonly TensorShapes _shapes;
    private readonly TensorTypes _types;
    private readonly HashSet<string> _dependsOnInput;
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _gradients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _upcast = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _runtimeShape = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SlicePiece>> _slicePieces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers;
    private readonly Dictionary<string, List<NodeProto>> _consumers;
    private NodeProto _node = null!;
    private bool _reordered;

    private ReverseModeDifferentiator(OnnxGraph graph, string wrt, TensorShapes shapes, TensorTypes types)
    {
        // Opset 17's LayerNormalization gives the normalization rules x̂ and 1/σ in one kernel; 13–16 mean the same there.
        if (graph.Opset is >= 13 and < 17) graph.UpgradeOpset(17);
        _graph = graph;
        _e = new GraphEmitter(graph, "grad");
        _shapes = shapes;
        _types = types;
        _dependsOnInput = graph.ValueDependentsOf(wrt, types);
        _producers = graph.Producers();
        _consumers = graph.Consumers();
    }

    /// <summary>
    /// Appends to <paramref name="graph"/> the nodes computing ∂<paramref name="scalar"/>/∂<paramref name="wrt"/> and
    /// returns the gradient's tensor name (same shape as <paramref name="wrt"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">An op on the gradient path has no rule; the message names it.</exception>
    public static string Differentiate(OnnxGraph graph, string scalar, string wrt, TensorShapes shapes, TensorTypes types)
    {
        var d = new ReverseModeDifferentiator(graph, wrt, shapes, types);
        d.RequireDependent(scalar, wrt);
        var seed = d._e.Scalar(1.0, d.GradType(scalar));
        var grad = shapes[scalar].Length == 0 ? seed : d._e.Expand(seed, d.ShapeOf(scalar));
        return d.Run(new Dictionary<string, string> { [scalar] = grad }, wrt);
    }

    /// <summary>
    /// The same for a scalar L whose gradients are already in the graph for some of its inputs: <paramref name="seeds"/>
    /// maps each such tensor t to the tensor holding ∂L/∂t (t's shape, the gradient's type), e.g. a loss
    /// Σ (A − A_ref)² differentiated by hand to 2(A − A_ref). Only the graph between <paramref name="wrt"/> and
    /// those tensors is differentiated.
    /// </summary>
    public static string Differentiate(OnnxGraph graph, IReadOnlyDictionary<string, string> seeds, string wrt, TensorShapes shapes, TensorTypes types)
    {
        var d = new ReverseModeDifferentiator(graph, wrt, shapes, types);
        foreach (var t in seeds.Keys) d.RequireDependent(t, wrt);
        return d.Run(seeds, wrt);
    }

    private void RequireDependent(string tensor, string wrt)
    {
        if (!_dependsOnInput.Contains(tensor))
            throw new InvalidOperationException($"'{tensor}' does not depend on '{wrt}'; there is no gradient to compute.");
    }

    private string Run(IReadOnlyDictionary<string, string> seeds, string wrt)
    {
        var onLossSide = _graph.AncestorsOf(seeds.Keys);
        var path = _graph.TopologicalOrder()
            .Where(n => n.Input.Any(_dependsOnInput.Contains) && n.Output.Any(onLossSide.Contains))
            .ToList();
        foreach (var (tensor, grad) in seeds) Contribute(tensor, grad);

        for (var k = path.Count - 1; k >= 0; k--)
        {
            _node = path[k];
            var outputGrads = _node.Output.Select(o => o.Length > 0 ? GradientOf(o) : null).ToArray();
            if (outputGrads.All(g => g is null)) continue;
            _e.Scope = _node.Name.Length > 0 ? _node.Name : _node.OpType;
            ApplyRule(outputGrads);
        }

        _e.Scope = null;
        // A rule that rewrote a forward node may have given it inputs emitted after it.
        if (_reordered) _graph.SortTopologically();
        return GradientOf(wrt) ?? throw new InvalidOperationException(
            $"No gradient reached '{wrt}' from '{string.Join("', '", seeds.Keys)}'.");
    }

    private void ApplyRule(string?[] g)
    {
        switch (_node.OpType)
        {
            case "Identity" or "Dropout": Pass(0, g[0]!); break;
            case "Cast": if (IsFloating(_node.Output[0])) Pass(0, g[0]!); break;
            case "Div" when DecomposedLayerNorm(g[0]!): break;
            case "Mul" when Silu(g[0]!) || Gelu(g[0]!): break;
            case "Add" or "Sub" or "Mul" or "Div" or "Pow" or "Sum" or "Where": Broadcasting(g[0]!); break;
            case "Neg" or "Sqrt" or "Reciprocal" or "Exp" or "Log" or "Sigmoid" or "Tanh" or "Erf" or "Relu": Unary(g[0]!); break;
            case "Softmax": Softmax(g[0]!); break;
            case "MatMul": MatMul(g[0]!); break;
            case "Gemm": Gemm(g[0]!); break;
            case "Conv": Conv(g[0]!); break;
            case "InstanceNormalization": InstanceNormalization(g[0]!); break;
            case "LayerNormalization": LayerNormalization(g); break;
            case "ReduceMean" or "ReduceSum": Reduce(g[0]!); break;
            case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze": Pass(0, _e.Reshape(g[0]!, ShapeOf(_node.Input[0]))); break;
            case "Expand": Contribute(_node.Input[0], Unbroadcast(g[0]!, _shapes[_node.Output[0]], _node.Input[0])); break;
            case "Transpose": Transpose(g[0]!); break;
            case "Concat": Concat(g[0]!); break;
            case "Split": Split(g); break;
            case "Slice": Slice(g[0]!); break;
            case "Resize": Resize(g[0]!); break;
            default: throw Unsupported();
        }
    }

    private NotSupportedException Unsupported(string? detail = null) => new(
        $"Cannot differentiate {(_node.Domain.Length > 0 ? _node.Domain + "." : "")}{_node.OpType} node '{_node.Name}' " +
        $"on the path from the sample to the attention loss{(detail is null ? "" : ": " + detail)}. " +
        "Re-export the UNet with standard ONNX ops (no fused/contrib kernels) or add a gradient rule for this op.");

    // ---- gradient bookkeeping ------------------------------------------------------------------------------

    private bool Needs(int input) =>
        input < _node.Input.Count && _node.Input[input].Length > 0 && _dependsOnInput.Contains(_node.Input[input])
        && IsFloating(_node.Input[input]);

    private void Pass(int input, string grad)
    {
        if (Needs(input)) Contribute(_node.Input[input], grad);
    }

    private void Contribute(string tensor, string grad)
    {
        if (!_contributions.TryGetValue(tensor, out var list)) _contributions[tensor] = list = new List<string>();
        list.Add(grad);
    }

    private string? GradientOf(string tensor)
    {
        if (_gradients.TryGetValue(tensor, out var done)) return done;
        // Called once every reader of the tensor has been differentiated, so all its slice pieces are in.
        if (_slicePieces.Remove(tensor, out var pieces)) ContributeSlicePieces(tensor, pieces);
        if (!_contributions.TryGetValue(tensor, out var list)) return null;
        // Two contributions (the usual fan-out) are added: ONNX Runtime's Add kernel is about twice as fast as its Sum.
        var sum = list.Count switch { 1 => list[0], 2 => _e.Add(list[0], list[1]), _ => _e.Node("Sum", list) };
        _gradients[tensor] = sum;
        return sum;
    }

    // ---- value helpers --------------------------------------------------------------------------------------

    private bool IsFloating(string tensor) => _types.IsFloating(tensor);

    /// <summary>float64 stays float64; everything else (fp16, bf16, fp32) is differentiated in fp32.</summary>
    private int GradType(string tensor) => _types.Of(tensor) == TensorValues.Double ? TensorValues.Double : TensorValues.Float;

    private string Const(double value) => _e.Scalar(value, GradType(_node.Output[0]));

    /// <summary>A forward value in the gradient's precision (fp16 tensors get one shared Cast).</summary>
    private string F(string tensor)
    {
        var type = _types.Of(tensor);
        if (type is TensorValues.Float or TensorValues.Double) return tensor;
        if (_upcast.TryGetValue(tensor, out var cast)) return cast;
        cast = _e.Cast(tensor, TensorValues.Float);
        _upcast[tensor] = cast;
        return cast;
    }

    /// <summary>The shape of a forward tensor as an int64 vector: a constant for static graphs, Shape() otherwise.</summary>
    private string ShapeOf(string tensor)
    {
        if (!_shapes.Dynamic) return _e.Int64s(_shapes[tensor]);
        if (_runtimeShape.TryGetValue(tensor, out var s)) return s;
        s = _e.Shape(tensor);
        _runtimeShape[tensor] = s;
        return s;
    }

    /// <summary>Dimensions [start, end) of a forward tensor's shape.</summary>
    private string DimsOf(string tensor, long start, long end) =>
        _shapes.Dynamic ? _e.ShapeSlice(tensor, start, end) : _e.Int64s(_shapes[tensor][(int)start..(int)end]);

    private static long Axis(long axis, int rank) => axis < 0 ? axis + rank : axis;

    private long AttrInt(string name, long fallback) =>
        _node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;

    private float AttrFloat(string name, float fallback) =>
        _node.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? fallback;

    private long[]? AttrInts(string name) =>
        _node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();

    private long[] ConstantInts(int input, string what)
    {
        if (input < _node.Input.Count && _graph.TryGetConstantInts(_node.Input[input], out var v)) return v;
        throw Unsupported($"its {what} input is not a constant");
    }

    /// <summary>
    /// Sums a gradient of shape <paramref name="gradShape"/> down to the shape of the broadcast operand
    /// <paramref name="operand"/>: over leading axes the operand lacks and over axes where it has size 1.
    /// </summary>
    private string Unbroadcast(string grad, long[] gradShape, string operand)
    {
        var target = _shapes[operand];
        var lead = gradShape.Length - target.Length;
        var axes = new List<long>();
        for (var i = 0; i < gradShape.Length; i++)
            if (i < lead || (target[i - lead] == 1 && gradShape[i] != 1)) axes.Add(i);
        if (axes.Count == 0 && lead == 0) return grad;
        var reduced = axes.Count > 0 ? _e.ReduceSum(grad, axes, keepDims: true) : grad;
        return lead > 0 ? _e.Reshape(reduced, ShapeOf(operand)) : reduced;
    }
}
