using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// O = softmax(s·Q·Kᵀ)·V as exports spell it — a MatMul of Q and Kᵀ, scalings by scalar constants, a Softmax over
/// the last axis, a MatMul with V — where every intermediate, the map P included, is read by nothing else and P is
/// larger than Q and Kᵀ together. In a UNet that is self-attention: an N×N map per row of B·heads from N×d
/// operands. Such maps dominate memory at full size, so the passes that chunk and recompute them find them here.
/// </summary>
/// <param name="Scores">The Q·Kᵀ MatMul.</param>
/// <param name="Scalings">The Mul/Div nodes by scalar constants between the scores and the softmax, in order.</param>
/// <param name="Scale">Their product.</param>
/// <param name="ValueProduct">The P·V MatMul, whose output is O.</param>
public sealed record AttentionBlock(
    NodeProto Scores,
    IReadOnlyList<NodeProto> Scalings,
    double Scale,
    NodeProto Softmax,
    NodeProto ValueProduct
)
{
    public string Q => Scores.Input[0];
    public string KeyTransposed => Scores.Input[1];
    public string V => ValueProduct.Input[1];
    public string Map => Softmax.Output[0];
    public string O => ValueProduct.Output[0];

    /// <summary>The block whose P·V MatMul is <paramref name="valueProduct"/>, or null.</summary>
    public static AttentionBlock? At(GraphIndex g, TensorShapes shapes, NodeProto valueProduct)
    {
        if (valueProduct.OpType != "MatMul" || valueProduct.Domain is not ("" or "ai.onnx"))
            return null;
        var p = valueProduct.Input[0];
        if (
            g.Producer(p, "Softmax") is not { } softmax
            || valueProduct.Input[1] == p
            || !SingleReader(g, p)
            || !shapes.Contains(p)
        )
            return null;
        var rank = shapes.Rank(p);
        if (rank < 3 || NormalizationRules.SoftmaxAxes(g.Graph, softmax, rank) is not [var axis] || axis != rank - 1)
            return null;
        var scalings = new List<NodeProto>();
        var scale = 1.0;
        var tensor = softmax.Input[0];
        while (g.Producer(tensor, "MatMul") is null)
        {
            if (
                !SingleReader(g, tensor)
                || g.ProducerOf(tensor) is not { OpType: "Mul" or "Div", Domain: "" or "ai.onnx" } node
                || node.Input.Count != 2
            )
                return null;
            if (g.ScalarConstant(node.Input[1]) is { } right and not 0)
            {
                scale *= node.OpType == "Mul" ? right : 1 / right;
                tensor = node.Input[0];
            }
            else if (node.OpType == "Mul" && g.ScalarConstant(node.Input[0]) is { } left)
            {
                scale *= left;
                tensor = node.Input[1];
            }
            else
                return null;
            scalings.Insert(0, node);
        }
        var scores = g.Producer(tensor, "MatMul")!;
        if (!SingleReader(g, tensor))
            return null;
        var (q, kT, v) = (scores.Input[0], scores.Input[1], valueProduct.Input[1]);
        if (
            shapes.Rank(q) != rank
            || shapes.Rank(kT) != rank
            || shapes.Rank(v) != rank
            || Count(shapes[p]) <= Count(shapes[q]) + Count(shapes[kT])
        )
            return null;
        return new AttentionBlock(scores, scalings, scale, softmax, valueProduct);
    }

    private static bool SingleReader(GraphIndex g, string tensor) =>
        g.Readers(tensor).Count == 1 && !g.IsGraphOutput(tensor);

    private static long Count(long[] shape) => shape.Aggregate(1L, (p, d) => p * d);
}
