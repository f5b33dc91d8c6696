using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>One cross-attention softmax of the UNet.</summary>
/// <param name="Index">Position in UNet (topological) order; names the probe output attn_map_NN.</param>
/// <param name="SoftmaxNode">The node's name in the export (informative only; the search never uses names).</param>
/// <param name="Output">The softmax output tensor: the attention probabilities.</param>
/// <param name="Shape">Shape measured at the compile-time probe
/// size ([B·heads, HW, tokens]); null if not measured.</param>
/// <param name="Heads">Attention heads (rows per batch item); null if not measured.</param>
public sealed record CrossAttentionLayer(int Index, string SoftmaxNode, string Output, long[]? Shape, int? Heads);

/// <summary>
/// Finds the cross-attention softmaxes structurally: a Softmax whose scores come from a MatMul whose key side (second
/// operand) depends on encoder_hidden_states and not on the sample. Self-attention keys depend on the sample;
/// timestep or sample paths never reach a cross-attention key.
/// </summary>
public static class CrossAttentionLocator
{
    // Ops allowed between the scores MatMul and the Softmax (scaling, masking, casts, reshapes).
    private static readonly HashSet<string> ScorePassThrough =
    [
        "Mul",
        "Div",
        "Add",
        "Sub",
        "Cast",
        "Identity",
        "Reshape",
        "Where",
    ];

    public static IReadOnlyList<CrossAttentionLayer> Locate(
        OnnxGraph graph,
        UnetSignature signature,
        TensorShapes? shapes = null
    )
    {
        if (FusedOperators.Find(graph.Graph) is { } fused)
            throw new NotSupportedException(FusedOperators.Problem(fused));
        var producers = graph.Producers();
        var types = new TensorTypes(graph);
        var fromText = graph.ValueDependentsOf(signature.EncoderHiddenStates.Name, types);
        var fromSample = graph.ValueDependentsOf(signature.Sample.Name, types);
        var layers = new List<CrossAttentionLayer>();
        foreach (var node in graph.TopologicalOrder().Where(n => n.OpType == "Softmax" && n.Domain is "" or "ai.onnx"))
        {
            var scores = ScoresMatMul(node, producers);
            if (scores is null)
                continue;
            var key = scores.Input[1];
            if (!fromText.Contains(key) || fromSample.Contains(key))
                continue;
            long[]? shape = shapes?.Contains(node.Output[0]) == true ? shapes[node.Output[0]] : null;
            int? heads = shape is null || shapes is null ? null : HeadCount(shape, shapes[signature.Sample.Name][0]);
            layers.Add(new CrossAttentionLayer(layers.Count, node.Name, node.Output[0], shape, heads));
        }

        if (layers.Count == 0)
            throw new NotSupportedException(
                "No cross-attention softmax found: no Softmax in the UNet has attention scores whose key side depends "
                    + $"on '{signature.EncoderHiddenStates.Name}'. The model is "
                    + "not a text-conditioned SD UNet export with plain attention."
            );
        return layers;
    }

    /// <summary>The MatMul producing a softmax's scores, walking back through scaling/masking ops only.</summary>
    private static NodeProto? ScoresMatMul(NodeProto softmax, Dictionary<string, NodeProto> producers)
    {
        var frontier = new Queue<(string Tensor, int Depth)>();
        frontier.Enqueue((softmax.Input[0], 0));
        while (frontier.TryDequeue(out var item))
        {
            if (item.Depth > 6 || !producers.TryGetValue(item.Tensor, out var node))
                continue;
            if (node.OpType == "MatMul")
                return node;
            if (!ScorePassThrough.Contains(node.OpType))
                continue;
            foreach (var input in node.Input.Where(i => i.Length > 0))
                frontier.Enqueue((input, item.Depth + 1));
        }
        return null;
    }

    private static int? HeadCount(long[] shape, long batch) =>
        shape.Length switch
        {
            3 when batch > 0 && shape[0] % batch == 0 => (int)(shape[0] / batch),
            4 => (int)shape[1],
            _ => null,
        };
}
