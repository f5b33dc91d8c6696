using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Appends nodes to a graph using only ops valid for the graph's own opset: reductions, Squeeze/Unsqueeze and
/// Split take their axes/sizes as attributes before opset 13 (ReduceMean before 18) and as inputs from then on.
/// </summary>
public sealed class GraphEmitter
{
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);

    public GraphEmitter(OnnxGraph graph, string prefix)
    {
        Graph = graph;
        Prefix = prefix;
    }

    public OnnxGraph Graph { get; }
    public string Prefix { get; }

    /// <summary>
    /// The forward node the next nodes are emitted for (its name, or null): gradient nodes are named after it, so a
    /// profile of the compiled graph tells which forward op each backward kernel belongs to.
    /// </summary>
    public string? Scope { get; set; }

    public long Opset => Graph.Opset;

    private string NodeName(string opType) =>
        Graph.UniqueName(
            Scope is { Length: > 0 } scope ? $"{Prefix}/{scope.TrimStart('/')}/{opType}" : $"{Prefix}/{opType}"
        );

    public string Node(string opType, IEnumerable<string> inputs, params AttributeProto[] attributes) =>
        Nodes(opType, inputs, 1, attributes)[0];

    public string[] Nodes(
        string opType,
        IEnumerable<string> inputs,
        int outputCount,
        params AttributeProto[] attributes
    )
    {
        var node = new NodeProto { OpType = opType, Name = NodeName(opType) };
        node.Input.AddRange(inputs);
        var outputs = Enumerable.Range(0, outputCount).Select(_ => Graph.UniqueName($"{Prefix}_{opType}")).ToArray();
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        Graph.Graph.Node.Add(node);
        return outputs;
    }

    /// <summary>A node whose single output gets a caller-chosen (reserved) name, e.g. a new graph output.</summary>
    public string NodeNamed(
        string opType,
        IEnumerable<string> inputs,
        string output,
        params AttributeProto[] attributes
    )
    {
        var node = new NodeProto { OpType = opType, Name = NodeName(opType) };
        node.Input.AddRange(inputs);
        node.Output.Add(Graph.Reserve(output));
        node.Attribute.AddRange(attributes);
        Graph.Graph.Node.Add(node);
        return output;
    }

    public static AttributeProto Int(string name, long value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.Int,
            I = value,
        };

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var a = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        a.Ints.AddRange(values);
        return a;
    }

    public static AttributeProto Float(string name, float value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.Float,
            F = value,
        };

    public static AttributeProto Tensor(string name, TensorProto value) =>
        new()
        {
            Name = name,
            Type = AttributeProto.Types.AttributeType.Tensor,
            T = value,
        };

    /// <summary>A shared int64 1-D constant (axes, shapes, pads).</summary>
    public string Int64s(params long[] values) =>
        Constant("i:" + string.Join(",", values), name => TensorValues.Int64s(name, values));

    /// <summary>A shared scalar of a floating element type (broadcasts against anything).</summary>
    public string Scalar(double value, int dataType) =>
        Constant($"f{dataType}:{value:R}", name => TensorValues.Scalar(name, value, dataType));

    private string Constant(string key, Func<string, TensorProto> make)
    {
        if (_constants.TryGetValue(key, out var name))
            return name;
        name = Graph.UniqueName($"{Prefix}_const");
        Graph.Graph.Initializer.Add(make(name));
        _constants[key] = name;
        return name;
    }

    public string Add(string a, string b) => Node("Add", [a, b]);

    public string Sub(string a, string b) => Node("Sub", [a, b]);

    public string Mul(string a, string b) => Node("Mul", [a, b]);

    public string Div(string a, string b) => Node("Div", [a, b]);

    public string Neg(string a) => Node("Neg", [a]);

    public string Shape(string x) => Node("Shape", [x]);

    public string Reshape(string x, string shape) => Node("Reshape", [x, shape]);

    public string Expand(string x, string shape) => Node("Expand", [x, shape]);

    public string Cast(string x, int to) => Node("Cast", [x], Int("to", to));

    public string Transpose(string x, IEnumerable<long> perm) => Node("Transpose", [x], Ints("perm", perm));

    public string Concat(IEnumerable<string> parts, long axis) => Node("Concat", parts, Int("axis", axis));

    /// <summary>Dimensions [start, end) of a tensor's runtime shape, as a 1-D int64 tensor.</summary>
    public string ShapeSlice(string x, long start, long end) =>
        Node("Slice", [Shape(x), Int64s(start), Int64s(end), Int64s(0)]);

    public string ReduceSum(string x, IReadOnlyList<long> axes, bool keepDims) =>
        Reduce("ReduceSum", x, axes, keepDims, axesAsInputFrom: 13);

    public string ReduceMean(string x, IReadOnlyList<long> axes, bool keepDims) =>
        Reduce("ReduceMean", x, axes, keepDims, axesAsInputFrom: 18);

    public string ReduceSumSquare(string x, IReadOnlyList<long> axes, bool keepDims) =>
        Reduce("ReduceSumSquare", x, axes, keepDims, axesAsInputFrom: 18);

    private string Reduce(string op, string x, IReadOnlyList<long> axes, bool keepDims, long axesAsInputFrom)
    {
        if (axes.Count == 0)
            throw new ArgumentException(
                "An empty axes list would mean 'reduce all' or 'no-op' depending on opset; pass the axes.",
                nameof(axes)
            );
        var keep = Int("keepdims", keepDims ? 1 : 0);
        return Opset >= axesAsInputFrom
            ? Node(op, [x, Int64s(axes.ToArray())], keep)
            : Node(op, [x], Ints("axes", axes), keep);
    }

    public string Unsqueeze(string x, IReadOnlyList<long> axes) =>
        Opset >= 13 ? Node("Unsqueeze", [x, Int64s(axes.ToArray())]) : Node("Unsqueeze", [x], Ints("axes", axes));

    /// <summary>Slice with runtime (tensor) starts/ends along the given axes.</summary>
    public string Slice(string x, string starts, string ends, string axes) => Node("Slice", [x, starts, ends, axes]);
}
