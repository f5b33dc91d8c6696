using Pix2PixZero.Core;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Inversion;

// Goldens: /usr/bin/python3 tests/fixtures/regularizer/generate.py — the public loop with torch autograd, fp32.
public class NoiseRegularizerTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(16, 11UL)]
    [InlineData(64, 12UL)]
    public void Default_regularizer_matches_the_pytorch_autograd_golden(int size, ulong rollSeed)
    {
        var input = Npy.Read(RepoPaths.Regularizer($"reg{size}_input.npy"));
        var noise = input.Floats();
        var shape = input.Shape;
        var expected = Npy.Read(RepoPaths.Regularizer($"reg{size}_output.npy")).Floats();
        Assert.Equal([1, 4, size, size], shape);

        new NoiseRegularizer().Apply(noise, 4, size, size, new SeededRolls(rollSeed));

        double worst = noise.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max();
        output.WriteLine($"[1,4,{size},{size}] max |C# − torch| = {worst:E3}");
        Assert.True(worst <= 1e-5, $"max abs error {worst:E3}");
    }

    // Goldens: /usr/bin/python3 tests/fixtures/aspect/generate.py — the same loop on non-square latents.
    [Theory]
    [InlineData(24, 40, 31UL)]
    [InlineData(36, 20, 32UL)]
    public void Default_regularizer_matches_the_pytorch_autograd_golden_on_a_non_square_latent(
        int height,
        int width,
        ulong rollSeed
    )
    {
        string Golden(string part) => Path.Combine(RepoPaths.Fixtures, "aspect", $"reg{height}x{width}_{part}.npy");
        var input = Npy.Read(Golden("input"));
        var noise = input.Floats();
        var expected = Npy.Read(Golden("output")).Floats();
        Assert.Equal([1, 4, height, width], input.Shape);

        new NoiseRegularizer().Apply(noise, 4, height, width, new SeededRolls(rollSeed));

        double worst = noise.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max();
        output.WriteLine($"[1,4,{height},{width}] max |C# − torch| = {worst:E3}");
        Assert.True(worst <= 1e-5, $"max abs error {worst:E3}");
    }

    [Fact]
    public void Golden_comparison_is_sensitive_to_the_roll_sequence()
    {
        var noise = Npy.Read(RepoPaths.Regularizer("reg64_input.npy")).Floats();
        var expected = Npy.Read(RepoPaths.Regularizer("reg64_output.npy")).Floats();

        new NoiseRegularizer().Apply(noise, 4, 64, 64, new SeededRolls(13));

        Assert.True(noise.Zip(expected, (a, b) => Math.Abs((double)a - b)).Max() > 1e-3);
    }

    [Fact]
    public void Regularizer_reduces_both_losses_on_correlated_noise()
    {
        var noise = Npy.Read(RepoPaths.Regularizer("reg16_input.npy")).Floats();
        double klBefore = KlDivergenceLoss.Loss<float>(noise);
        double acBefore = AutoCorrelationWithFixedRolls(noise);

        new NoiseRegularizer().Apply(noise, 4, 16, 16, new SeededRolls(1));

        Assert.True(KlDivergenceLoss.Loss<float>(noise) < klBefore);
        Assert.True(AutoCorrelationWithFixedRolls(noise) < acBefore);
    }

    [Fact]
    public void Zero_weights_leave_the_noise_unchanged()
    {
        var noise = new float[4 * 8 * 8];
        SeededGaussian.Fill(noise, 9);
        var original = noise.ToArray();
        new NoiseRegularizer(new NoiseRegularizerOptions { LambdaAc = 0, LambdaKl = 0 }).Apply(
            noise,
            4,
            8,
            8,
            new SeededRolls(1)
        );
        Assert.Equal(original, noise);
    }

    [Fact]
    public void Regularizer_refuses_mis_sized_noise()
    {
        var regularizer = new NoiseRegularizer();
        Assert.Contains(
            "needs 1024",
            Assert
                .Throws<ArgumentException>(() => regularizer.Apply(new float[1000], 4, 16, 16, new SeededRolls(1)))
                .Message
        );
    }

    [Theory]
    [InlineData(-1f, 20f, 5, 5, "LambdaAc")]
    [InlineData(20f, float.NaN, 5, 5, "LambdaKl")]
    [InlineData(20f, 20f, -1, 5, "OuterIterations")]
    [InlineData(20f, 20f, 5, 0, "AutoCorrelationRolls")]
    public void Options_name_the_offending_setting(float lambdaAc, float lambdaKl, int outer, int rolls, string name)
    {
        var options = new NoiseRegularizerOptions
        {
            LambdaAc = lambdaAc,
            LambdaKl = lambdaKl,
            OuterIterations = outer,
            AutoCorrelationRolls = rolls,
        };
        var error = Assert.Throws<InvalidOptionException>(() => new NoiseRegularizer(options));
        Assert.Equal(name, error.Option);
        Assert.StartsWith(name + " = ", error.Message);
    }

    [Fact]
    public void Options_defaults_are_the_public_ones()
    {
        var options = new NoiseRegularizerOptions();
        Assert.Equal(
            (20f, 20f, 5, 5),
            (options.LambdaAc, options.LambdaKl, options.OuterIterations, options.AutoCorrelationRolls)
        );
    }

    private static double AutoCorrelationWithFixedRolls(float[] noise)
    {
        var loss = new AutoCorrelationLoss<float>(16);
        var gradient = new float[256];
        double total = 0;
        for (int c = 0; c < 4; c++)
            foreach (var rolls in new[] { new[] { 1, 1 }, new[] { 3, 2 }, new[] { 7, 3 } })
                total += loss.LossAndGradient(noise.AsSpan(c * 256, 256), rolls, gradient);
        return total;
    }
}
