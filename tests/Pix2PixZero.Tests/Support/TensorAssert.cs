namespace Pix2PixZero.Tests.Support;

/// <summary>Element-wise comparisons that report the measured error, so a test's output states the parity.</summary>
public static class TensorAssert
{
    public static double MaxAbsDiff(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(d))
                return double.PositiveInfinity;
            max = Math.Max(max, d);
        }
        return max;
    }

    public static double MaxAbs(ReadOnlySpan<float> values)
    {
        var max = 0.0;
        foreach (var v in values)
            max = Math.Max(max, Math.Abs(v));
        return max;
    }

    /// <summary>Asserts max |actual − expected| ≤ tolerance and returns the measured error.</summary>
    public static double Close(ReadOnlySpan<float> actual, ReadOnlySpan<float> expected, double tolerance, string what)
    {
        var error = MaxAbsDiff(actual, expected);
        Assert.True(
            error <= tolerance,
            $"{what}: max abs error {error:E3} exceeds {tolerance:E1} (values up to {MaxAbs(expected):G4})"
        );
        return error;
    }
}
