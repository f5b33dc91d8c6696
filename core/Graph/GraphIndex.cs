using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Producers, readers and outputs of a graph as it is when indexed, for the passes that match structure.
/// </summary>
public sealed class GraphIndex(OnnxGraph graph)
{
    private readonly Dictionary<string, NodeProto> _producers = graph.Producers();
    private readonly Dictionary<string, List<NodeProto>> _consumers = graph.Consumers();
    private readonly HashSet<string> _outputs = graph
        .Graph.Output.Select(o => o.Name)
        .ToHashSet(StringComparer.Ordinal);

    public OnnxGraph Graph => graph;

    /// <summary>
    /// The node producing <paramref name="tensor"/> when it is a default-domain <paramref name="opType"/>, else null.
    /// </summary>
    public NodeProto? Producer(string tensor, string opType) =>
        _producers.TryGetValue(tensor, out var node) && node.OpType == opType && node.Domain is "" or "ai.onnx"
            ? node
            : null;

    public NodeProto? ProducerOf(string tensor) => _producers.GetValueOrDefault(tensor);

    public IReadOnlyList<NodeProto> Readers(string tensor) => _consumers.TryGetValue(tensor, out var r) ? r : [];

    public bool IsGraphOutput(string tensor) => _outputs.Contains(tensor);

    /// <summary>The value of a one-element constant tensor, or null.</summary>
    public double? ScalarConstant(string tensor) =>
        (!_producers.TryGetValue(tensor, out var producer) || producer.OpType == "Constant")
        && graph.TryGetConstantFloats(tensor, out var v)
        && v.Length == 1
            ? v[0]
            : null;
}
