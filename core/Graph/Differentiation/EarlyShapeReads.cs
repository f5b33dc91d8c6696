using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// The scheduling pass, run after everything else is emitted: in a graph with dynamic axes the backward reads the
/// runtime shapes of forward tensors (Shape and Size nodes), and ONNX Runtime frees a tensor only after its last reader
/// — a Shape node that runs in the backward pass keeps a whole activation alive through the forward pass just to read
/// four integers from it (at 512×512, gigabytes of GEGLU and attention activations). ONNX Runtime orders execution by a
/// depth-first walk from the graph's leaf nodes, the last leaf first; this pass adds one last leaf, a Concat of
/// every such shape, as an extra graph output (<see cref="Output"/>), so the walk runs each of those Shape nodes
/// right after the forward node whose output it reads.
/// </summary>
public static class EarlyShapeReads
{
    public const string Output = "forward_shapes";

    /// <summary>
    /// Adds the leaf when what the graph's outputs are computed from reads shapes of forward tensors in the backward;
    /// returns how many reads it anchors.
    /// </summary>
    public static int Apply(OnnxGraph graph, IReadOnlySet<NodeProto> forward)
    {
        var producers = graph.Producers();
        var needed = graph.AncestorsOf(graph.Graph.Output.Select(o => o.Name));
        var reads = graph
            .Graph.Node.Where(n =>
                !forward.Contains(n)
                && n.OpType is "Shape" or "Size"
                && needed.Contains(n.Output[0])
                && producers.TryGetValue(n.Input[0], out var p)
                && forward.Contains(p)
            )
            .ToList();
        if (reads.Count == 0)
            return 0;
        var emit = new GraphEmitter(graph, "anchor");
        var vectors = reads
            .Select(n => n.OpType == "Size" ? emit.Reshape(n.Output[0], emit.Int64s(1)) : n.Output[0])
            .ToList();
        emit.NodeNamed("Concat", vectors, Output, GraphEmitter.Int("axis", 0));
        graph.Graph.Output.Add(
            new ValueInfoProto
            {
                Name = Output,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorValues.Int64 } },
            }
        );
        return reads.Count;
    }
}
