using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Tests.Inversion;

/// <summary>
/// The closed-form gradients, in double, against central finite differences of the losses computed in C#.
/// </summary>
public class RegularizerGradientTests
{
    private const double Step = 1e-5;

    [Theory]
    [InlineData(16, new[] { 3, 2 })]
    [InlineData(32, new[] { 15, 1, 3 })]
    [InlineData(8, new[] { 1 })]
    public void Auto_correlation_gradient_matches_finite_differences(int size, int[] rolls)
    {
        var loss = new AutoCorrelationLoss<double>(size);
        var plane = CorrelatedPlane(size, seed: (ulong)size);
        var gradient = new double[plane.Length];
        var scratch = new double[plane.Length];
        loss.LossAndGradient(plane, rolls, gradient);

        double worst = 0,
            largest = 0;
        for (int k = 0; k < plane.Length; k++)
        {
            double original = plane[k];
            plane[k] = original + Step;
            double up = loss.LossAndGradient(plane, rolls, scratch);
            plane[k] = original - Step;
            double down = loss.LossAndGradient(plane, rolls, scratch);
            plane[k] = original;
            worst = Math.Max(worst, Math.Abs((up - down) / (2 * Step) - gradient[k]));
            largest = Math.Max(largest, Math.Abs(gradient[k]));
        }
        Assert.True(largest > 1e-4, $"gradient too small to be a meaningful check: {largest}");
        Assert.True(
            worst <= 1e-7 * largest,
            $"max |closed form − finite difference| = {worst:E3}, max |gradient| = {largest:E3}"
        );
    }

    [Fact]
    public void Auto_correlation_pyramid_goes_down_to_eight()
    {
        Assert.Equal([64, 32, 16, 8], AutoCorrelationLoss<float>.PyramidSizes(64));
        Assert.Equal([16, 8], AutoCorrelationLoss<float>.PyramidSizes(16));
        Assert.Equal([8], AutoCorrelationLoss<float>.PyramidSizes(8));
        Assert.Equal([12, 6], AutoCorrelationLoss<float>.PyramidSizes(12));
    }

    [Fact]
    public void Auto_correlation_pyramid_rejects_sides_that_pool_unevenly()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => AutoCorrelationLoss<float>.PyramidSizes(36));
        Assert.Contains("side 9 is odd", error.Message);
    }

    [Fact]
    public void Kl_gradient_matches_finite_differences()
    {
        var x = CorrelatedPlane(12, seed: 5).Select(v => 1.7 * v + 0.4).ToArray();
        var gradient = new double[x.Length];
        KlDivergenceLoss.Gradient<double>(x, gradient);

        double worst = 0,
            largest = 0;
        for (int k = 0; k < x.Length; k++)
        {
            double original = x[k];
            x[k] = original + Step;
            double up = KlDivergenceLoss.Loss<double>(x);
            x[k] = original - Step;
            double down = KlDivergenceLoss.Loss<double>(x);
            x[k] = original;
            worst = Math.Max(worst, Math.Abs((up - down) / (2 * Step) - gradient[k]));
            largest = Math.Max(largest, Math.Abs(gradient[k]));
        }
        Assert.True(
            worst <= 1e-7 * largest,
            $"max |closed form − finite difference| = {worst:E3}, max |gradient| = {largest:E3}"
        );
    }

    private static double[] CorrelatedPlane(int size, ulong seed)
    {
        var white = new float[size * size];
        SeededGaussian.Fill(white, seed);
        var plane = new double[size * size];
        for (int i = 0; i < size; i++)
        for (int j = 0; j < size; j++)
            plane[i * size + j] = white[i * size + j] + 0.8 * white[(i / 4) * size + j / 4] + 0.2;
        return plane;
    }
}
