using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// What a gradient rule sees while the reverse pass visits one forward node: the node, the gradients of its outputs,
/// the emitter for the backward nodes, the measured shapes and types, and the bookkeeping that sums the
/// contributions to each tensor's gradient. Rules are small functions of this context
/// (<see cref="GradientRules"/>, <see cref="GradientPatterns"/>).
/// </summary>
public sealed class GradientContext
{
    private readonly Dictionary<string, List<string>> _contributions = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _gradients = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _upcast = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _runtimeShape = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<SlicePiece>> _slicePieces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers;
    private readonly Dictionary<string, List<NodeProto>> _consumers;

    internal GradientContext(OnnxGraph graph, TensorShapes shapes, TensorTypes types, HashSet<string> dependsOnInput)
    {
        Graph = graph;
        Emit = new GraphEmitter(graph, "grad");
        Shapes = shapes;
        Types = types;
        DependsOnInput = dependsOnInput;
        _producers = graph.Producers();
        _consumers = graph.Consumers();
    }

    public OnnxGraph Graph { get; }
    public GraphEmitter Emit { get; }
    public TensorShapes Shapes { get; }
    public TensorTypes Types { get; }

    /// <summary>Every floating-point tensor whose value depends on the input being differentiated against.</summary>
    public HashSet<string> DependsOnInput { get; }

    /// <summary>The forward node being differentiated.</summary>
    public NodeProto Node { get; internal set; } = null!;

    /// <summary>∂L/∂ of each output of <see cref="Node"/>; null for outputs no gradient reached.</summary>
    public string?[] OutputGradients { get; internal set; } = [];

    /// <summary>The gradient of the node's first output (the only one for most ops).</summary>
    public string G =>
        OutputGradients[0] ?? throw new InvalidOperationException($"No gradient reached '{Node.Output[0]}'.");

    public string Input(int index) => Node.Input[index];

    public string Output(int index) => Node.Output[index];

    // ---- gradient bookkeeping ------------------------------------------------------------------------------

    /// <summary>
    /// Whether input <paramref name="input"/> of the node needs a gradient (it is floating and depends on the input).
    /// </summary>
    public bool Needs(int input) =>
        input < Node.Input.Count
        && Node.Input[input].Length > 0
        && DependsOnInput.Contains(Node.Input[input])
        && IsFloating(Node.Input[input]);

    /// <summary>Whether a tensor outside the node (a pattern's input) needs a gradient.</summary>
    public bool Needs(string tensor) => DependsOnInput.Contains(tensor) && IsFloating(tensor);

    /// <summary>
    /// Adds <paramref name="grad"/> to the gradient of input <paramref name="input"/> when it needs one.
    /// </summary>
    public void Pass(int input, string grad)
    {
        if (Needs(input))
            Contribute(Node.Input[input], grad);
    }

    public void Contribute(string tensor, string grad)
    {
        if (!_contributions.TryGetValue(tensor, out var list))
            _contributions[tensor] = list = new List<string>();
        list.Add(grad);
    }

    /// <summary>
    /// The summed gradient of a tensor, once every reader of it has been differentiated; null when none reached it.
    /// </summary>
    public string? GradientOf(string tensor)
    {
        if (_gradients.TryGetValue(tensor, out var done))
            return done;
        // Called once every reader of the tensor has been differentiated, so all its slice pieces are in.
        if (_slicePieces.Remove(tensor, out var pieces))
            DataMovementRules.ContributeSlicePieces(this, tensor, pieces);
        if (!_contributions.TryGetValue(tensor, out var list))
            return null;
        // Two contributions (the usual fan-out) are added: ONNX Runtime's Add kernel is faster than its Sum.
        var sum = list.Count switch
        {
            1 => list[0],
            2 => Emit.Add(list[0], list[1]),
            _ => Emit.Node("Sum", list),
        };
        _gradients[tensor] = sum;
        return sum;
    }

    /// <summary>
    /// Keeps a static slice's gradient until the sliced tensor's
    /// gradient is summed (see <see cref="DataMovementRules"/>).
    /// </summary>
    internal void AddSlicePiece(string tensor, SlicePiece piece)
    {
        if (!_slicePieces.TryGetValue(tensor, out var pieces))
            _slicePieces[tensor] = pieces = [];
        pieces.Add(piece);
    }

    // ---- value helpers --------------------------------------------------------------------------------------

    public bool IsFloating(string tensor) => Types.IsFloating(tensor);

    /// <summary>float64 stays float64; everything else (fp16, bf16, fp32) is differentiated in fp32.</summary>
    public int GradType(string tensor) =>
        Types.Of(tensor) == TensorValues.Double ? TensorValues.Double : TensorValues.Float;

    /// <summary>A scalar constant in the gradient type of the node's first output.</summary>
    public string Const(double value) => Emit.Scalar(value, GradType(Node.Output[0]));

    /// <summary>A forward value in the gradient's precision (fp16 tensors get one shared Cast).</summary>
    public string F(string tensor)
    {
        var type = Types.Of(tensor);
        if (type is TensorValues.Float or TensorValues.Double)
            return tensor;
        if (_upcast.TryGetValue(tensor, out var cast))
            return cast;
        cast = Emit.Cast(tensor, TensorValues.Float);
        _upcast[tensor] = cast;
        return cast;
    }

    /// <summary>
    /// The shape of a forward tensor as an int64 vector: a constant for static graphs, Shape() otherwise.
    /// </summary>
    public string ShapeOf(string tensor)
    {
        if (!Shapes.Dynamic)
            return Emit.Int64s(Shapes[tensor]);
        if (_runtimeShape.TryGetValue(tensor, out var s))
            return s;
        s = Emit.Shape(tensor);
        _runtimeShape[tensor] = s;
        return s;
    }

    /// <summary>Dimensions [start, end) of a forward tensor's shape.</summary>
    public string DimsOf(string tensor, long start, long end) =>
        Shapes.Dynamic ? Emit.ShapeSlice(tensor, start, end) : Emit.Int64s(Shapes[tensor][(int)start..(int)end]);

    public static long Axis(long axis, int rank) => axis < 0 ? axis + rank : axis;

    public long AttrInt(string name, long fallback) => AttrInt(Node, name, fallback);

    public static long AttrInt(NodeProto node, string name, long fallback) =>
        node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;

    public float AttrFloat(string name, float fallback) =>
        Node.Attribute.FirstOrDefault(a => a.Name == name)?.F ?? fallback;

    public long[]? AttrInts(string name) => Node.Attribute.FirstOrDefault(a => a.Name == name)?.Ints.ToArray();

    public string AttrString(string name, string fallback) =>
        Node.Attribute.FirstOrDefault(a => a.Name == name)?.S.ToStringUtf8() ?? fallback;

    public long[] ConstantInts(int input, string what)
    {
        if (input < Node.Input.Count && Graph.TryGetConstantInts(Node.Input[input], out var v))
            return v;
        throw Unsupported($"its {what} input is not a constant");
    }

    /// <summary>
    /// The node producing <paramref name="tensor"/> when it is a default-domain <paramref name="opType"/>, else null.
    /// </summary>
    public NodeProto? Producer(string tensor, string opType) =>
        _producers.TryGetValue(tensor, out var node) && node.OpType == opType && node.Domain is "" or "ai.onnx"
            ? node
            : null;

    public NodeProto? ProducerOf(string tensor) => _producers.GetValueOrDefault(tensor);

    /// <summary>The forward nodes reading <paramref name="tensor"/>.</summary>
    public IReadOnlyList<NodeProto> Readers(string tensor) =>
        _consumers.TryGetValue(tensor, out var readers) ? readers : [];

    /// <summary>The value of a one-element constant tensor, or null.</summary>
    public double? ScalarConstant(string tensor) =>
        (!_producers.TryGetValue(tensor, out var producer) || producer.OpType == "Constant")
        && Graph.TryGetConstantFloats(tensor, out var v)
        && v.Length == 1
            ? v[0]
            : null;

    /// <summary>Whether a weight is a constant (initializer or Constant node) rather than a computed tensor.</summary>
    public bool IsConstant(string tensor) =>
        Graph.Initializer(tensor) is not null || _producers.TryGetValue(tensor, out var p) && p.OpType == "Constant";

    /// <summary>
    /// Sums a gradient of shape <paramref name="gradShape"/> down to the shape of the broadcast operand
    /// <paramref name="operand"/>: over leading axes the operand lacks and over axes where it has size 1.
    /// </summary>
    public string Unbroadcast(string grad, long[] gradShape, string operand)
    {
        var target = Shapes[operand];
        var lead = gradShape.Length - target.Length;
        var axes = new List<long>();
        for (var i = 0; i < gradShape.Length; i++)
            if (i < lead || (target[i - lead] == 1 && gradShape[i] != 1))
                axes.Add(i);
        if (axes.Count == 0 && lead == 0)
            return grad;
        var reduced = axes.Count > 0 ? Emit.ReduceSum(grad, axes, keepDims: true) : grad;
        return lead > 0 ? Emit.Reshape(reduced, ShapeOf(operand)) : reduced;
    }

    public NotSupportedException Unsupported(string? detail = null) =>
        new(
            $"Cannot differentiate {(Node.Domain.Length > 0 ? Node.Domain + "." : "")}{Node.OpType} node '{Node.Name}' "
                + $"on the path from the sample to the attention loss{(detail is null ? "" : ": " + detail)}. "
                + "Re-export the UNet with standard ONNX ops (no "
                + "fused/contrib kernels) or add a gradient rule for this op."
        );
}
