using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// Self-attention O = P·V with P = softmax(s·Q·Kᵀ), differentiated as a whole at its P·V MatMul the way
/// memory-efficient attention backwards do: the backward does not read the forward's P — an N×N map per row of
/// B·heads, 1 GB per layer for SD's 4096 tokens and the CFG batch — but recomputes it from Q and Kᵀ, so the forward
/// frees each map right after its P·V. The recomputation and the backward run in chunks of rows of the B·heads axis,
/// so only a few rows' maps are alive at once:
/// <c>P = softmax(s·Q·Kᵀ)</c>, <c>∂V = Pᵀ·∂O</c>, <c>∂S = P ⊙ (∂O·Vᵀ − rowsum(∂O ⊙ O))</c>,
/// <c>∂Q = s·∂S·K</c>, <c>∂Kᵀ = s·Qᵀ·∂S</c>.
/// <para>
/// Each chunk's Q is made to depend on its ∂O through a zero-valued term (one element of ∂O times zero, summed):
/// ONNX Runtime orders execution by a depth-first walk that would otherwise recompute the maps as soon as Q and Kᵀ
/// exist, in the forward pass, and keep them alive just the same. The term changes no value; a non-finite ∂O makes
/// the result non-finite, as it already is.
/// </para>
/// </summary>
/// <param name="Chunks">How many chunks the rows are cut into.</param>
internal sealed record SelfAttentionPattern(AttentionBlock Block, int Chunks) : FusedPattern(Block.ValueProduct)
{
    /// <summary>At SD's 4096 tokens and 16 rows (CFG batch × 8 heads), 8 chunks keep each map at 134 MB.</summary>
    public const int MaxChunks = 8;

    public override string Name => "self-attention (recomputed)";

    internal override void Differentiate(GradientContext c)
    {
        var (q, kT, v, o) = (Block.Q, Block.KeyTransposed, Block.V, Block.O);
        var rank = c.Shapes.Rank(o);
        var gradType = c.GradType(o);
        var s = c.Emit.Scalar(Block.Scale, gradType);
        var (dQ, dKt, dV) = (new List<string>(), new List<string>(), new List<string>());
        foreach (var rows in RowChunks(c, q))
        {
            string Part(string t) => rows is { } r ? c.Emit.Slice(t, r.Start, r.End, c.Emit.Int64s(0)) : t;
            var (qc, kTc, vc, oc, dOc) = (c.F(Part(q)), c.F(Part(kT)), c.F(Part(v)), c.F(Part(o)), Part(c.G));
            var first = c.Emit.Slice(
                c.Emit.Reshape(dOc, c.Emit.Int64s(-1)),
                c.Emit.Int64s(0),
                c.Emit.Int64s(1),
                c.Emit.Int64s(0)
            );
            var zero = c.Emit.Mul(c.Emit.ReduceSum(first, [0], keepDims: false), c.Emit.Scalar(0, gradType));
            var scaledQ = c.Emit.Mul(c.Emit.Add(qc, zero), s);
            var p = c.Emit.Node(
                "Softmax",
                [c.Emit.Node("MatMul", [scaledQ, kTc])],
                [.. Block.Softmax.Attribute.Select(a => a.Clone())]
            );

            // Pᵀ·∂O as (∂Oᵀ·P)ᵀ, which transposes the narrow ∂O rather than the map (see LinearRules.MatMulGradients).
            dV.Add(LinearRules.SwapLastTwo(c, c.Emit.Node("MatMul", [LinearRules.SwapLastTwo(c, dOc, rank), p]), rank));
            var rowDot = c.Emit.ReduceSum(c.Emit.Mul(dOc, oc), [rank - 1], keepDims: true);
            var dS = c.Emit.Mul(
                p,
                c.Emit.Sub(c.Emit.Node("MatMul", [dOc, LinearRules.SwapLastTwo(c, vc, rank)]), rowDot)
            );
            dQ.Add(c.Emit.Mul(c.Emit.Node("MatMul", [dS, LinearRules.SwapLastTwo(c, kTc, rank)]), s));
            dKt.Add(c.Emit.Mul(c.Emit.Node("MatMul", [LinearRules.SwapLastTwo(c, qc, rank), dS]), s));
        }
        string Joined(List<string> parts) => parts.Count == 1 ? parts[0] : c.Emit.Concat(parts, 0);
        if (c.Needs(q))
            c.Contribute(q, Joined(dQ));
        if (c.Needs(kT))
            c.Contribute(kT, Joined(dKt));
        if (c.Needs(v))
            c.Contribute(v, Joined(dV));
    }

    /// <summary>
    /// Slice bounds along the rows (axis 0) of each chunk, ⌈rows/chunks⌉ rows each; [null] when unchunked.
    /// </summary>
    private IEnumerable<(string Start, string End)?> RowChunks(GradientContext c, string q)
    {
        if (Chunks <= 1)
        {
            yield return null;
            yield break;
        }
        if (!c.Shapes.Dynamic)
        {
            var size = (c.Shapes[q][0] + Chunks - 1) / Chunks;
            for (var i = 0; i < Chunks; i++)
                yield return (c.Emit.Int64s(i * size), c.Emit.Int64s((i + 1) * size));
            yield break;
        }
        var rows = c.DimsOf(q, 0, 1);
        var runtimeSize = c.Emit.Div(c.Emit.Add(rows, c.Emit.Int64s(Chunks - 1)), c.Emit.Int64s(Chunks));
        for (var i = 0; i < Chunks; i++)
            yield return (c.Emit.Mul(runtimeSize, c.Emit.Int64s(i)), c.Emit.Mul(runtimeSize, c.Emit.Int64s(i + 1)));
    }
}
