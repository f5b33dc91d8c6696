using Pix2PixZero.Core.Graph;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Blocks of the tiny UNet (tests/fixtures/tinysd/unet.py) spelled op by op as its ONNX export spells them.
/// </summary>
public static class GraphTestBlocks
{
    /// <summary>
    /// CrossAttention with context = x (attn1) on an input x [batch, tokens, heads·headDim]: Q, K, V projections, heads
    /// folded into the batch ([batch·heads, tokens, headDim]), P = softmax(Q·Kᵀ·headDim^−½), O = P·V, heads unfolded,
    /// output projection. The map is named "p" and the value product "o".
    /// </summary>
    public static (string Output, string Wrt) SelfAttention(
        GraphTestModel m,
        long batch,
        long tokens,
        long heads,
        long headDim
    )
    {
        var channels = heads * headDim;
        var x = m.Input("x", batch, tokens, channels);
        string HeadsToBatch(string name)
        {
            var projected = m.Node("MatMul", [x, m.Weight("w" + name, channels, channels)], name);
            var split = m.Node(
                "Reshape",
                [projected, m.Ints(name + "_split_shape", 0, 0, heads, headDim)],
                name + "_split"
            );
            var perm = m.Node("Transpose", [split], name + "_heads", Ints("perm", [0, 2, 1, 3]));
            return m.Node("Reshape", [perm, m.Ints(name + "_fold_shape", -1, tokens, headDim)], name + "_folded");
        }
        var (q, k, v) = (HeadsToBatch("q"), HeadsToBatch("k"), HeadsToBatch("v"));
        var kT = m.Node("Transpose", [k], "kT", Ints("perm", [0, 2, 1]));
        var scores = m.Node("MatMul", [q, kT], "scores");
        var scaled = m.Node("Mul", [scores, m.Weight("scale", [1 / Math.Sqrt(headDim)], [])], "scaled");
        var p = m.Node("Softmax", [scaled], "p", Int("axis", -1));
        var o = m.Node("MatMul", [p, v], "o");
        var unfolded = m.Node("Reshape", [o, m.Ints("unfold_shape", -1, heads, tokens, headDim)], "o_heads");
        var back = m.Node("Transpose", [unfolded], "o_tokens", Ints("perm", [0, 2, 1, 3]));
        var merged = m.Node("Reshape", [back, m.Ints("merge_shape", 0, 0, channels)], "o_merged");
        return (m.Node("MatMul", [merged, m.Weight("wout", channels, channels)], "y"), x);
    }

    /// <summary>
    /// <see cref="SelfAttention"/> (batch 3, 6 tokens, 3 heads of 2) as the model's output, built, with the loss Σ y²
    /// added: the graph, the loss, the input to differentiate by, and the shapes measured by running the model.
    /// </summary>
    public static (OnnxGraph Graph, string Loss, string Wrt, TensorShapes Shapes) SelfAttentionWithSquaredLoss(
        GraphTestModel model
    )
    {
        var (output, wrt) = SelfAttention(model, batch: 3, tokens: 6, heads: 3, headDim: 2);
        model.Output(output);
        var graph = model.Build();
        var e = new GraphEmitter(graph, "loss");
        var loss = e.ReduceSum(e.Mul(output, output), [0, 1, 2], keepDims: false);
        return (graph, loss, wrt, GraphRunner.Measure(graph, model));
    }

    /// <summary>
    /// nn.GroupNorm(2, 4) on x [2, 4, 3, 3] as PyTorch's opset-14 export writes it: Reshape to [B, groups, −1],
    /// InstanceNormalization with unit scale and zero bias, Reshape back to x's shape, then the affine γ, β.
    /// </summary>
    public static (string Output, string Wrt) GroupNorm(GraphTestModel m)
    {
        var x = m.Input("x", 2, 4, 3, 3);
        var grouped = m.Node("Reshape", [x, m.Ints("gshape", 2, 2, -1)], "grouped");
        var norm = m.Node(
            "InstanceNormalization",
            [grouped, m.Weight("ones", [1.0, 1.0], [2]), m.Weight("zeros", [0.0, 0.0], [2])],
            "norm",
            Float("epsilon", 1e-5f)
        );
        var back = m.Node("Reshape", [norm, m.Node("Shape", [x], "xshape")], "back");
        var scaled = m.Node("Mul", [back, m.Weight("gamma", 4, 1, 1)], "scaled");
        return (m.Node("Add", [scaled, m.Weight("beta", 4, 1, 1)], "y"), x);
    }
}
