using System.Text.Json;
using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Tests.Inversion;

// Goldens: /usr/bin/python3 tests/fixtures/regularizer/generate.py  (rolls.json)
public class SeededRollsTests
{
    private static readonly JsonElement Golden = JsonDocument
        .Parse(File.ReadAllText(RepoPaths.Regularizer("rolls.json")))
        .RootElement;

    [Fact]
    public void SplitMix64_matches_the_python_reference_bit_for_bit()
    {
        var generator = new SplitMix64(Golden.GetProperty("seed").GetUInt64());
        foreach (var expected in Golden.GetProperty("firstUInt64").EnumerateArray())
            Assert.Equal(ulong.Parse(expected.GetString()!), generator.NextUInt64());
    }

    [Fact]
    public void Roll_sequence_matches_the_python_reference()
    {
        var rolls = new SeededRolls(Golden.GetProperty("seed").GetUInt64());
        var sizes = Golden.GetProperty("sizes").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var expected = Golden.GetProperty("rolls").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(expected, sizes.Select(rolls.Next).ToArray());
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    [InlineData(64)]
    public void Rolls_stay_in_one_to_half_size_minus_one(int size)
    {
        var rolls = new SeededRolls(3);
        var drawn = Enumerable.Range(0, 2000).Select(_ => rolls.Next(size)).ToHashSet();
        Assert.Equal(Enumerable.Range(1, size / 2 - 1).ToHashSet(), drawn);
    }

    [Fact]
    public void Rolls_reject_levels_too_small_to_shift()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SeededRolls(1).Next(3));
    }

    [Fact]
    public void Gaussian_matches_the_python_box_muller_reference()
    {
        var expected = Golden.GetProperty("normals").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        var actual = new float[expected.Length];
        SeededGaussian.Fill(actual, Golden.GetProperty("normalSeed").GetUInt64());
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Gaussian_has_unit_moments_and_is_deterministic_per_seed()
    {
        var a = new float[1 << 16];
        var b = new float[1 << 16];
        SeededGaussian.Fill(a, 42);
        SeededGaussian.Fill(b, 42);
        Assert.Equal(a, b);
        double mean = a.Average(v => (double)v);
        double variance = a.Sum(v => (v - mean) * (v - mean)) / (a.Length - 1);
        Assert.InRange(mean, -0.02, 0.02);
        Assert.InRange(variance, 0.98, 1.02);
    }
}
