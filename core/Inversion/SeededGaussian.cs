namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// Standard normal samples for synthetic z_T, by Box–Muller on <see cref="SplitMix64"/>: per pair,
/// u1 = 1 − NextDouble() ∈ (0, 1], u2 = NextDouble(), r = √(−2 ln u1), then r·cos(2π u2) and r·sin(2π u2) in that
/// order, computed in double and rounded to float. The uniforms are bit-exact in any language; the normals match a
/// reference to the last bit wherever log/cos/sin are correctly rounded (glibc: yes for these inputs in practice).
/// </summary>
public static class SeededGaussian
{
    public static void Fill(Span<float> destination, ulong seed)
    {
        var generator = new SplitMix64(seed);
        for (int i = 0; i < destination.Length; i += 2)
        {
            double u1 = 1.0 - generator.NextDouble();
            double u2 = generator.NextDouble();
            double radius = Math.Sqrt(-2.0 * Math.Log(u1));
            double angle = 2.0 * Math.PI * u2;
            destination[i] = (float)(radius * Math.Cos(angle));
            if (i + 1 < destination.Length)
                destination[i + 1] = (float)(radius * Math.Sin(angle));
        }
    }
}
