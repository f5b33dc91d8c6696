using System.Numerics;

namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// KL-style loss pulling the noise toward N(0, 1) (pix2pix-zero, src/utils/ddim_inv.py, kl_divergence), over all N
/// elements of all channels together: <c>L = v + μ² − 1 − log(v + 1e−7)</c>, μ the mean, v the unbiased variance
/// (torch.var's default). <c>∂L/∂x_i = (2/(N−1))(x_i − μ)(1 − 1/(v + 1e−7)) + 2μ/N</c>. Moments in double.
/// </summary>
internal static class KlDivergenceLoss
{
    private const double Epsilon = 1e-7;

    public static double Loss<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (mean, variance) = Moments(x);
        return variance + mean * mean - 1 - Math.Log(variance + Epsilon);
    }

    public static void Gradient<T>(ReadOnlySpan<T> x, Span<T> gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (mean, slope, offset) = GradientCoefficients(x);
        for (int i = 0; i < x.Length; i++)
            gradient[i] = T.CreateTruncating(slope * (double.CreateTruncating(x[i]) - mean) + offset);
    }

    /// <summary>x −= λ·∂L/∂x, with the gradient taken at x before the step.</summary>
    public static void Step<T>(Span<T> x, T lambda)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (mean, slope, offset) = GradientCoefficients(x);
        for (int i = 0; i < x.Length; i++)
            x[i] -= lambda * T.CreateTruncating(slope * (double.CreateTruncating(x[i]) - mean) + offset);
    }

    private static (double Mean, double Slope, double Offset) GradientCoefficients<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (mean, variance) = Moments(x);
        int n = x.Length;
        return (mean, 2.0 / (n - 1) * (1 - 1 / (variance + Epsilon)), 2 * mean / n);
    }

    private static (double Mean, double Variance) Moments<T>(ReadOnlySpan<T> x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (x.Length < 2)
            throw new ArgumentException("The KL loss needs at least two values (unbiased variance).", nameof(x));
        double sum = 0;
        foreach (var value in x)
            sum += double.CreateTruncating(value);
        double mean = sum / x.Length;
        double squares = 0;
        foreach (var value in x)
        {
            double d = double.CreateTruncating(value) - mean;
            squares += d * d;
        }
        return (mean, squares / (x.Length - 1));
    }
}
