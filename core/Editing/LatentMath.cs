using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Editing;

/// <summary>The few tensor operations the method composes, over fp32 spans.</summary>
internal static class LatentMath
{
    /// <summary>[x, x]: the CFG pair built from one latent row, into <paramref name="pair"/>.</summary>
    public static void Twice(ReadOnlySpan<float> row, Span<float> pair)
    {
        row.CopyTo(pair);
        row.CopyTo(pair[row.Length..]);
    }

    /// <summary>Stacks rows of shape <paramref name="rowShape"/> into a batch.</summary>
    public static DenseTensor<float> Stack(int[] rowShape, params float[][] rows)
    {
        var size = rows[0].Length;
        var data = new float[rows.Length * size];
        for (var i = 0; i < rows.Length; i++)
            rows[i].CopyTo(data, i * size);
        return new DenseTensor<float>(data, [rows.Length, .. rowShape]);
    }

    /// <summary>ε̂ = ε_u + s·(ε_c − ε_u) from a [ε_u, ε_c] batch, into <paramref name="result"/> (one row).</summary>
    public static void GuidedNoise(ReadOnlySpan<float> noise, float scale, Span<float> result)
    {
        var half = noise.Length / 2;
        ReadOnlySpan<float> unconditional = noise[..half],
            conditional = noise[half..(2 * half)];
        TensorPrimitives.Subtract(conditional, unconditional, result);
        TensorPrimitives.MultiplyAdd(result, scale, unconditional, result);
    }

    /// <summary>x −= step · g, in place.</summary>
    public static void Descend(Span<float> x, ReadOnlySpan<float> gradient, float step)
    {
        if (gradient.Length != x.Length)
            throw new ArgumentException($"the gradient has {gradient.Length} values, the latent {x.Length}");
        TensorPrimitives.MultiplyAdd(gradient, -step, x, x);
    }
}
