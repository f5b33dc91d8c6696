using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// Forward rewrite run before differentiation: GroupNorm exports normalize with an InstanceNormalization of unit
/// scale and zero bias over [B, groups, ·]; in fp32 at opset ≥ 17 each becomes the LayerNormalization over the same
/// trailing axes with ones as scale and no bias. The output is the same x̂, and the node's InvStdDev output gives the
/// backward 1/σ, sparing it a normalization kernel of its own.
/// </summary>
public static class GroupNormAsLayerNormalization
{
    /// <summary>
    /// Rewrites every such node in place; returns how many. The graph is sorted topologically afterwards.
    /// </summary>
    public static int Apply(OnnxGraph graph, TensorShapes shapes, TensorTypes types)
    {
        var emit = new GraphEmitter(graph, "rewrite");
        var count = 0;
        foreach (
            var node in graph
                .Graph.Node.Where(n => n.OpType == "InstanceNormalization" && n.Domain is "" or "ai.onnx")
                .ToList()
        )
        {
            var (x, y) = (node.Input[0], node.Output[0]);
            if (!shapes.Contains(x) || types.Of(y) != TensorValues.Float)
                continue;
            var rank = shapes.Rank(x);
            var axes = Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray();
            if (
                !NormalizationRules.FitsLayerNormalization(graph, rank, axes, TensorValues.Float)
                || !graph.TryGetConstantFloats(node.Input[1], out var scale)
                || scale.Any(v => v != 1)
                || !graph.TryGetConstantFloats(node.Input[2], out var bias)
                || bias.Any(v => v != 0)
            )
                continue;

            emit.Scope = node.Name;
            var dims = shapes.Dynamic ? emit.ShapeSlice(x, 2, rank) : emit.Int64s(shapes[x][2..]);
            var ones = emit.Expand(emit.Scalar(1, TensorValues.Float), dims);
            var epsilon = node.Attribute.FirstOrDefault(a => a.Name == "epsilon")?.F ?? 1e-5f;
            node.OpType = "LayerNormalization";
            node.Domain = "";
            node.Input.Clear();
            node.Input.AddRange([x, ones]);
            node.Attribute.Clear();
            node.Attribute.AddRange([GraphEmitter.Int("axis", 2), GraphEmitter.Float("epsilon", epsilon)]);
            node.Output.AddRange(["", graph.UniqueName("rewrite_InvStdDev")]);
            count++;
        }
        // The ones are emitted after the nodes that now read them.
        if (count > 0)
            graph.SortTopologically();
        return count;
    }
}
