using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Every hyperparameter of an edit, with the public code's defaults (DESIGN.md §1.4), validated in one place.
/// </summary>
public sealed record MethodParameters
{
    /// <summary>Stable Diffusion's 1000 training timesteps less its steps_offset of 1: at 1000 steps the top timestep
    /// would be 1000, past the schedule (diffusers' DDIM indexes past its table there too).</summary>
    public const int MaxSteps = 999;
    public const float MaxGuidanceScale = 50f;
    public const float MaxCrossAttentionGuidance = 10f;
    public const float RealCrossAttentionGuidance = 0.1f;
    public const float SyntheticCrossAttentionGuidance = 0.15f;

    /// <summary>DDIM steps for inversion and editing (paper: 100; public code: 50).</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Classifier-free guidance scale s of the reference and edit passes.</summary>
    public float GuidanceScale { get; init; } = 5f;

    /// <summary>
    /// λ_xa, the step size of the cross-attention guidance; null means 0.1 (real) / 0.15 (synthetic).
    /// </summary>
    public float? CrossAttentionGuidance { get; init; }

    public InversionConvention Convention { get; init; } = InversionConvention.Aligned;

    public NoiseRegularizerOptions Regularizer { get; init; } = new();

    /// <summary>Seeds the regularizer's rolls (real images) or z_T (synthetic).</summary>
    public ulong Seed { get; init; }

    /// <summary>Scales the edit direction Δ added to the positive prompt embedding.</summary>
    public float EditMultiplier { get; init; } = 1f;

    /// <summary>Negative prompt; null means the caption itself (real images) or "" (synthetic).</summary>
    public string? NegativePrompt { get; init; }

    public float EffectiveCrossAttentionGuidance(bool synthetic) =>
        CrossAttentionGuidance ?? (synthetic ? SyntheticCrossAttentionGuidance : RealCrossAttentionGuidance);

    /// <summary>
    /// Checks every value; errors name each one by <paramref name="names"/> (keyed by property name: the option or
    /// field the user typed, such as <c>--steps</c>), else by what it is.
    /// </summary>
    public MethodParameters Validate(IReadOnlyDictionary<string, string>? names = null)
    {
        string Name(string property, string fallback) => names?.GetValueOrDefault(property) ?? fallback;
        if (Steps is < 2 or > MaxSteps)
            throw new InvalidOptionException(Name(nameof(Steps), "steps"), Steps, $"use 2..{MaxSteps} (default 50)");
        if (!float.IsFinite(GuidanceScale) || GuidanceScale <= 1f || GuidanceScale > MaxGuidanceScale)
            throw new InvalidOptionException(
                Name(nameof(GuidanceScale), "guidance scale"),
                GuidanceScale,
                $"use a value above 1 and at most {MaxGuidanceScale} (default 5); at 1 or below "
                    + "classifier-free guidance ignores the edited prompt, so the edit would silently do nothing"
            );
        if (CrossAttentionGuidance is { } xa && (!float.IsFinite(xa) || xa < 0 || xa > MaxCrossAttentionGuidance))
            throw new InvalidOptionException(
                Name(nameof(CrossAttentionGuidance), "cross-attention guidance (xa)"),
                xa,
                $"use 0..{MaxCrossAttentionGuidance} (default 0.1 for photos, "
                    + "0.15 for generated images); 0 turns structure preservation off"
            );
        if (!float.IsFinite(EditMultiplier) || Math.Abs(EditMultiplier) > Directions.EditDirection.MaxAbsMultiplier)
            throw new InvalidOptionException(
                Name(nameof(EditMultiplier), "edit multiplier"),
                EditMultiplier,
                $"use a value in -{Directions.EditDirection.MaxAbsMultiplier}.."
                    + $"{Directions.EditDirection.MaxAbsMultiplier} (default 1)"
            );
        if (!Enum.IsDefined(Convention))
            throw new InvalidOptionException(
                Name(nameof(Convention), "inversion convention"),
                Convention,
                "use Aligned (default) or Official"
            );
        if (NegativePrompt is { Length: > 1000 })
            throw new InvalidOptionException(
                Name(nameof(NegativePrompt), "negative prompt"),
                $"{NegativePrompt.Length} characters",
                "use at most 1000 characters"
            );
        Regularizer.Validate();
        return this;
    }
}
