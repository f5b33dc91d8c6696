using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Ops outside the standard ONNX domain in a UNet: the fused kernels ONNX Runtime's transformer optimizer and Olive
/// write (<c>com.microsoft</c> MultiHeadAttention, Attention, GroupNorm, BiasSplitGelu, …). The method reads the
/// attention probabilities off plain MatMul → Softmax attention and differentiates the UNet op by op with rules for
/// standard ops (DESIGN.md §2); a fused kernel hides the first and has none of the second, so such an export is
/// refused by name before any work.
/// </summary>
public static class FusedOperators
{
    /// <summary>The non-standard ops of <paramref name="graph"/>, most frequent first; null when none.</summary>
    public static string? Find(GraphProto graph)
    {
        var fused = graph
            .Node.Where(n => n.Domain is not ("" or "ai.onnx"))
            .GroupBy(n => $"{n.Domain}.{n.OpType}")
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => $"{g.Key} ×{g.Count()}")
            .ToList();
        return fused.Count == 0 ? null : string.Join(", ", fused);
    }

    /// <summary>What is wrong with a UNet holding <paramref name="ops"/> (<see cref="Find"/>), and the fix.</summary>
    public static string Problem(string ops) =>
        $"the UNet is an optimized export with fused kernels ({ops}): they hide the attention probabilities that "
        + "cross-attention guidance reads and cannot be differentiated. A plain (unfused) export is needed: standard "
        + "ONNX ops only, attention as MatMul → Softmax → MatMul (diffusers' ONNX export without ONNX Runtime's "
        + "transformer optimizer or Olive, e.g. CompVis/stable-diffusion-v1-4@onnx, `pix2pix-zero models pull sd14`)";
}
