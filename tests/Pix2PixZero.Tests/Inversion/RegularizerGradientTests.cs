using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Tests.Inversion;

/// <summary>
/// The closed-form gradients, in double, against central finite differences of the losses computed in C#.
/// </summary>
public class RegularizerGradientTests
{
    private const double Step = 1e-5;

    [Theory]
    [InlineData(16, 16, new[] { 3, 2 })]
    [InlineData(32, 32, new[] { 15, 1, 3 })]
    [InlineData(8, 8, new[] { 1 })]
    [InlineData(16, 24, new[] { 5, 3 })]
    [InlineData(24, 8, new[] { 11, 5, 2 })]
    [InlineData(18, 10, new[] { 4, 3, 1 })]
    public void Auto_correlation_gradient_matches_finite_differences(int height, int width, int[] rolls)
    {
        var loss = new AutoCorrelationLoss<double>(height, width);
        var plane = CorrelatedPlane(height, width, seed: (ulong)(height * width));
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
    public void Auto_correlation_pyramid_goes_down_until_the_height_is_eight_or_less()
    {
        Assert.Equal([(64, 64), (32, 32), (16, 16), (8, 8)], AutoCorrelationLoss<float>.Pyramid(64, 64));
        Assert.Equal([(16, 16), (8, 8)], AutoCorrelationLoss<float>.Pyramid(16, 16));
        Assert.Equal([(8, 8)], AutoCorrelationLoss<float>.Pyramid(8, 8));
        Assert.Equal([(12, 12), (6, 6)], AutoCorrelationLoss<float>.Pyramid(12, 12));
        Assert.Equal([(16, 24), (8, 12)], AutoCorrelationLoss<float>.Pyramid(16, 24));
        Assert.Equal([(8, 64)], AutoCorrelationLoss<float>.Pyramid(8, 64));
    }

    [Fact]
    public void Auto_correlation_pyramid_pools_odd_sides_down_as_avg_pool2d_does()
    {
        Assert.Equal([(36, 36), (18, 18), (9, 9), (4, 4)], AutoCorrelationLoss<float>.Pyramid(36, 36));
        Assert.Equal([(36, 20), (18, 10), (9, 5), (4, 2)], AutoCorrelationLoss<float>.Pyramid(36, 20));
    }

    [Fact]
    public void Auto_correlation_pyramid_stops_at_a_level_one_column_wide_which_cannot_be_pooled()
    {
        Assert.Equal([(128, 8), (64, 4), (32, 2), (16, 1)], AutoCorrelationLoss<float>.Pyramid(128, 8));
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

    private static double[] CorrelatedPlane(int size, ulong seed) => CorrelatedPlane(size, size, seed);

    private static double[] CorrelatedPlane(int height, int width, ulong seed)
    {
        var white = new float[height * width];
        SeededGaussian.Fill(white, seed);
        var plane = new double[height * width];
        for (int i = 0; i < height; i++)
        for (int j = 0; j < width; j++)
            plane[i * width + j] = white[i * width + j] + 0.8 * white[(i / 4) * width + j / 4] + 0.2;
        return plane;
    }
}
