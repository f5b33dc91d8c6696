using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Element type of every tensor, propagated from graph inputs, initializers and declared value infos through
/// node semantics. Gradient rules need it to cast fp16 forward values to fp32 and to skip integer plumbing.
/// </summary>
public sealed class TensorTypes
{
    private readonly OnnxGraph _graph;
    private readonly Dictionary<string, int> _known = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers;

    public TensorTypes(OnnxGraph graph)
    {
        _graph = graph;
        _producers = graph.Producers();
        foreach (var v in graph.Graph.Input.Concat(graph.Graph.ValueInfo).Concat(graph.Graph.Output))
            if (v.Type?.TensorType is { ElemType: > 0 } t)
                _known[v.Name] = t.ElemType;
        foreach (var t in graph.Graph.Initializer)
            _known[t.Name] = t.DataType;
    }

    public void Set(string tensor, int dataType) => _known[tensor] = dataType;

    public int Of(string tensor)
    {
        if (_known.TryGetValue(tensor, out var type))
            return type;
        if (!_producers.TryGetValue(tensor, out var node))
        {
            // Initializers and nodes added after construction (emitted gradients) are looked up lazily.
            if (_graph.Graph.Initializer.LastOrDefault(t => t.Name == tensor) is { } constant)
                return _known[tensor] = constant.DataType;
            node = _graph.Graph.Node.LastOrDefault(n => n.Output.Contains(tensor))
                ?? throw new InvalidOperationException(
                    $"Tensor '{tensor}' has no producer, initializer or declared type."
                );
            _producers[tensor] = node;
        }
        type = Infer(node, tensor);
        _known[tensor] = type;
        return type;
    }

    public bool IsFloating(string tensor) => TensorValues.IsFloating(Of(tensor));

    private int Infer(NodeProto node, string output)
    {
        long Attr(string name, long fallback) => node.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback;
        switch (node.OpType)
        {
            case "Cast":
                return (int)Attr("to", 0);
            case "CastLike":
                return Of(node.Input[1]);
            case "Shape" or "Size" or "NonZero" or "ArgMax" or "ArgMin":
                return TensorValues.Int64;
            case "Equal"
            or "Less"
            or "Greater"
            or "LessOrEqual"
            or "GreaterOrEqual"
            or "Not"
            or "And"
            or "Or"
            or "Xor"
            or "IsNaN"
            or "IsInf":
                return TensorValues.Bool;
            case "Where":
                return Of(node.Input[1]);
            case "Constant":
                var value = node.Attribute.First();
                return value.Name switch
                {
                    "value" => value.T.DataType,
                    "value_float" or "value_floats" => TensorValues.Float,
                    "value_int" or "value_ints" => TensorValues.Int64,
                    _ => throw new InvalidOperationException(
                        $"Constant node '{node.Name}' has an unsupported value kind '{value.Name}'."
                    ),
                };
            case "ConstantOfShape":
                return node.Attribute.FirstOrDefault(a => a.Name == "value")?.T.DataType ?? TensorValues.Float;
            case "Range":
                return Of(node.Input[0]);
            case "EyeLike" or "RandomNormalLike" or "RandomUniformLike":
                var dtype = Attr("dtype", 0);
                return dtype != 0 ? (int)dtype : Of(node.Input[0]);
            case "LayerNormalization" when node.Output.IndexOf(output) > 0:
                return (int)Attr("stash_type", TensorValues.Float);
            default:
                var first = node.Input.FirstOrDefault(i => i.Length > 0)
                    ?? throw new InvalidOperationException(
                        $"Cannot infer the element type of '{output}' produced by {node.OpType} node '{node.Name}'."
                    );
                return Of(first);
        }
    }
}
