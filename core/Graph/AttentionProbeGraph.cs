using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// The UNet with every cross-attention softmax exposed as an extra output attn_map_NN (reference pass), its
/// self-attention computed in chunks (<see cref="ChunkedAttention"/>).
/// </summary>
public static class AttentionProbeGraph
{
    public static string OutputName(int index) => $"attn_map_{index:00}";

    public static OnnxGraph Build(OnnxGraph unet, IReadOnlyList<CrossAttentionLayer> layers, TensorShapes shapes)
    {
        var graph = unet.Clone();
        var types = new TensorTypes(graph);
        var emitter = new GraphEmitter(graph, "probe");
        foreach (var layer in layers)
        {
            var name = emitter.NodeNamed("Identity", [layer.Output], OutputName(layer.Index));
            graph.Graph.Output.Add(
                new ValueInfoProto
                {
                    Name = name,
                    Type = new TypeProto
                    {
                        TensorType = new TypeProto.Types.Tensor { ElemType = types.Of(layer.Output) },
                    },
                }
            );
        }
        // After the maps became outputs, so that only self-attention is chunked.
        ChunkedAttention.Apply(graph, shapes);
        graph.Prune();
        return graph;
    }
}
