namespace Pix2PixZero.Core.Inversion;

/// <summary>
/// Regularized-inversion settings; defaults are the public code's (DDIMInversion.__call__: lambda_ac 20,
/// lambda_kl 20, num_reg_steps 5, num_ac_rolls 5). A weight of 0 skips that loss entirely, as in the public loop
/// (and then draws no rolls).
/// </summary>
public sealed record NoiseRegularizerOptions
{
    public const float MaxLambda = 1000f;
    public const int MaxIterations = 100;

    /// <summary>
    /// λ_ac, weight of the auto-correlation loss; each of the
    /// <see cref="AutoCorrelationRolls"/> steps uses λ_ac / rolls.
    /// </summary>
    public float LambdaAc { get; init; } = 20f;

    /// <summary>λ_kl, weight of the KL loss.</summary>
    public float LambdaKl { get; init; } = 20f;

    /// <summary>Outer repetitions of {auto-correlation steps; KL step} (public: num_reg_steps).</summary>
    public int OuterIterations { get; init; } = 5;

    /// <summary>Auto-correlation steps per outer repetition, each with fresh rolls (public: num_ac_rolls).</summary>
    public int AutoCorrelationRolls { get; init; } = 5;

    public NoiseRegularizerOptions Validate()
    {
        CheckLambda(LambdaAc, nameof(LambdaAc));
        CheckLambda(LambdaKl, nameof(LambdaKl));
        if (OuterIterations is < 0 or > MaxIterations)
            throw new InvalidOptionException(
                nameof(OuterIterations),
                OuterIterations,
                $"use 0..{MaxIterations} (public default 5)"
            );
        if (AutoCorrelationRolls is < 1 or > MaxIterations)
            throw new InvalidOptionException(
                nameof(AutoCorrelationRolls),
                AutoCorrelationRolls,
                $"use 1..{MaxIterations} (public default 5)"
            );
        return this;
    }

    private static void CheckLambda(float value, string name)
    {
        if (!float.IsFinite(value) || value < 0 || value > MaxLambda)
            throw new InvalidOptionException(
                name,
                value,
                $"use a finite number in 0..{MaxLambda} (public default 20; 0 turns the loss off)"
            );
    }
}
