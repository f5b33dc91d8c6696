using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// The cross-attention guidance graph of DESIGN.md §1.2 step 6: inputs sample, timestep, encoder_hidden_states and
/// one reference map attn_ref_NN per layer; outputs the <see cref="AttentionLoss"/> <c>loss</c> (shape [1], fp32) and
/// <c>grad_sample = ∂loss/∂sample</c> (fp32, shape of sample), self-attention computed in chunks
/// (<see cref="ChunkedAttention"/>); with dynamic axes also the int64 output
/// <see cref="EarlyShapeReads.Output"/>, which only orders execution. Everything after the last cross-attention
/// softmax is pruned away.
/// </summary>
public static class GuidanceGraph
{
    public const string LossOutput = "loss";
    public const string GradientOutput = "grad_sample";

    public static string ReferenceInput(int index) => AttentionLoss.ReferenceInput(index);

    public static OnnxGraph Build(
        OnnxGraph unet,
        UnetSignature signature,
        IReadOnlyList<CrossAttentionLayer> layers,
        TensorShapes shapes,
        DifferentiationOptions? options = null
    )
    {
        var graph = unet.Clone();
        var types = new TensorTypes(graph);
        graph.Graph.Output.Clear();
        var e = new GraphEmitter(graph, "loss");
        var terms = AttentionLoss.Emit(graph, layers.Select(l => (l.Output, l.Index)).ToList(), shapes, types);
        // After the loss read the maps, so that only self-attention is chunked.
        ChunkedAttention.Apply(graph, shapes);
        var lossType = types.Of(terms.Loss);
        e.NodeNamed("Reshape", [terms.Loss, e.Int64s(1)], LossOutput);
        var forward = new HashSet<NodeProto>(graph.Graph.Node, ReferenceEqualityComparer.Instance);

        var grad = ReverseModeDifferentiator.Differentiate(
            graph,
            terms.Seeds,
            signature.Sample.Name,
            shapes,
            types,
            options
        );
        if (terms.GradientScale != 1)
            grad = e.Mul(grad, e.Scalar(terms.GradientScale, lossType));
        e.NodeNamed("Identity", [grad], GradientOutput);
        graph.Graph.Output.Add(Output(LossOutput, lossType, [new TensorShapeProto.Types.Dimension { DimValue = 1 }]));
        graph.Graph.Output.Add(Output(GradientOutput, lossType, signature.Sample.Type.TensorType.Shape.Dim));
        // Last, so that its leaf is the one ONNX Runtime's execution order starts from.
        EarlyShapeReads.Apply(graph, forward);
        graph.Prune();
        return graph;
    }

    private static ValueInfoProto Output(string name, int type, IEnumerable<TensorShapeProto.Types.Dimension> dims)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        tensorType.Shape.Dim.AddRange(dims.Select(d => d.Clone()));
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = tensorType },
        };
    }
}
