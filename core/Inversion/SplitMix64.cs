namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// SplitMix64 (Steele, Lea, Flood 2014; the seeding generator of xoshiro): a 64-bit generator that any language
/// with wrapping 64-bit arithmetic reproduces bit-exactly. It is the single source of randomness for regularizer
/// rolls, synthetic z_T and built-in sentences, so a Python reference (tests/fixtures/regularizer/generate.py)
/// can replay every draw.
/// <code>
/// state += 0x9E3779B97F4A7C15
/// z = state
/// z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
/// z = (z ^ (z >> 27)) * 0x94D049BB133111EB
/// return z ^ (z >> 31)
/// </code>
/// </summary>
public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public ulong NextUInt64()
    {
        unchecked
        {
            _state += 0x9E3779B97F4A7C15UL;
            ulong z = _state;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    /// <summary>Uniform in [0, 1): the top 53 bits of one draw times 2^-53.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / 9007199254740992.0);

    /// <summary>
    /// Uniform integer in [0, bound) as <c>next() % bound</c>; the modulo bias is below 2^-40 for our bounds.
    /// </summary>
    public int NextInt(int bound)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(bound);
        return (int)(NextUInt64() % (ulong)bound);
    }
}
