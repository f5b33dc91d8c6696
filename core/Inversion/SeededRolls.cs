namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// The roll amounts of the auto-correlation loss, drawn from <see cref="SplitMix64"/> as
/// <c>roll = 1 + next() % (S/2 − 1)</c> for a pyramid level of side S (so r ∈ [1, S/2 − 1]).
/// <para>
/// Draw order, fixed by <see cref="NoiseRegularizer"/> to follow the public loop (src/utils/ddim_inv.py):
/// for each outer iteration, for each auto-correlation iteration, for each channel, for each pyramid level from
/// full size down to 8: one draw, shared by the H roll and the W roll of that level. The KL step draws nothing.
/// One instance lives for a whole inversion, so consecutive timesteps continue the same sequence.
/// </para>
/// <para>
/// The public code draws <c>randrange(S//2)</c>, i.e. r ∈ [0, S/2 − 1], which includes the no-shift roll 0
/// (that term is mean(n²)², a pull toward zero energy rather than a decorrelation). Our design (DESIGN.md §1.2)
/// excludes 0; this is the one intentional difference from the public loop.
/// </para>
/// </summary>
public sealed class SeededRolls(ulong seed)
{
    private readonly SplitMix64 _generator = new(seed);

    public int Next(int size)
    {
        if (size < 4)
            throw new ArgumentOutOfRangeException(
                nameof(size),
                size,
                "A roll needs a level of side 4 or more (r ∈ [1, S/2 − 1])."
            );
        return 1 + _generator.NextInt(size / 2 - 1);
    }
}
