using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Every hyperparameter of an edit, with the public code's defaults (DESIGN.md §1.4). <see cref="Table"/> describes
/// each one once — names on every surface, range, default, help — and the CLI's options, the HTTP API's fields and
/// help, the web form and every refusal are written from it.
/// </summary>
public sealed record MethodParameters
{
    /// <summary>Stable Diffusion's 1000 training timesteps less its steps_offset of 1: at 1000 steps the top timestep
    /// would be 1000, past the schedule (diffusers' DDIM indexes past its table there too).</summary>
    public const int MaxSteps = 999;
    public const float RealCrossAttentionGuidance = 0.1f;
    public const float SyntheticCrossAttentionGuidance = 0.15f;

    /// <summary>DDIM steps for inversion and editing (paper: 100; public code: 50).</summary>
    public int Steps { get; init; } = Table.Steps.Default;

    /// <summary>Classifier-free guidance scale s of the reference and edit passes.</summary>
    public float GuidanceScale { get; init; } = Table.GuidanceScale.Default;

    /// <summary>
    /// λ_xa, the step size of the cross-attention guidance; null means 0.1 (real) / 0.15 (synthetic).
    /// </summary>
    public float? CrossAttentionGuidance { get; init; } = Table.CrossAttentionGuidance.Default;

    public InversionConvention Convention { get; init; } = Table.Convention.Default;

    public NoiseRegularizerOptions Regularizer { get; init; } = new();

    /// <summary>Seeds the regularizer's rolls (real images) or z_T (synthetic).</summary>
    public ulong Seed { get; init; } = Table.Seed.Default;

    /// <summary>Scales the edit direction Δ added to the positive prompt embedding.</summary>
    public float EditMultiplier { get; init; } = Table.EditMultiplier.Default;

    /// <summary>Negative prompt; null means the caption itself (real images) or "" (synthetic).</summary>
    public string? NegativePrompt { get; init; } = Table.NegativePrompt.Default;

    public float EffectiveCrossAttentionGuidance(bool synthetic) =>
        CrossAttentionGuidance ?? (synthetic ? SyntheticCrossAttentionGuidance : RealCrossAttentionGuidance);

    /// <summary>
    /// The parameters that <paramref name="textOf"/> gives text for, each checked as it is read and refused under
    /// the name <paramref name="nameOf"/> gives (the option or field the user typed); the others keep their defaults.
    /// The CLI and the HTTP API both make their parameters here.
    /// </summary>
    public static MethodParameters Read(Func<Hyperparameter, string?> textOf, Func<Hyperparameter, string> nameOf)
    {
        var parameters = new MethodParameters();
        foreach (var hyperparameter in Table.All)
            if (textOf(hyperparameter) is { } text)
                parameters = hyperparameter.Read(parameters, text, nameOf(hyperparameter));
        return parameters;
    }

    /// <summary>Checks every value of parameters a library caller set; a refusal names the property.</summary>
    public MethodParameters Validate()
    {
        foreach (var hyperparameter in Table.All)
            hyperparameter.Check(this, hyperparameter.Property);
        Regularizer.Validate();
        return this;
    }

    /// <summary>
    /// The hyperparameters users set, in the order the web form and the help list them. Adding one is a property above
    /// and an entry here.
    /// </summary>
    public static class Table
    {
        public static readonly Hyperparameter<float> EditMultiplier = new()
        {
            Property = nameof(MethodParameters.EditMultiplier),
            Field = "multiplier",
            Flag = "--edit-multiplier",
            Label = "Edit strength",
            Summary = "scale of the edit direction Δ",
            Help =
                "How far to move from the first word towards the second: above 1 exaggerates the change, below 1 "
                + "softens it, a negative value goes the other way.",
            Form = FormPlacement.Main,
            Rule = ValueRule.Real(-EditDirection.MaxAbsMultiplier, EditDirection.MaxAbsMultiplier),
            Default = 1f,
            Get = p => p.EditMultiplier,
            Set = (p, value) => p with { EditMultiplier = value },
        };

        public static readonly Hyperparameter<float?> CrossAttentionGuidance = new()
        {
            Property = nameof(MethodParameters.CrossAttentionGuidance),
            Field = "xa",
            Flag = "--xa",
            Label = "Keep the photo's layout",
            Summary = "cross-attention guidance step λ_xa",
            Help =
                "How hard each step is pulled back to where things are in your photo; 0 turns it off, and the "
                + "result may then move or reshape them.",
            Form = FormPlacement.Main,
            Note = "0 turns structure preservation off",
            Rule = ValueRule.OptionalReal(0, 10),
            Default = null,
            PhotoDefault = RealCrossAttentionGuidance,
            DefaultWords = FormattableString.Invariant(
                $"{RealCrossAttentionGuidance} for photos, {SyntheticCrossAttentionGuidance} for generated images"
            ),
            Get = p => p.CrossAttentionGuidance,
            Set = (p, value) => p with { CrossAttentionGuidance = value },
        };

        public static readonly Hyperparameter<int> Steps = new()
        {
            Property = nameof(MethodParameters.Steps),
            Field = "steps",
            Flag = "--steps",
            Label = "Steps",
            Summary = "DDIM steps",
            Help = "More steps follow the photo more closely and take longer, in proportion.",
            Form = FormPlacement.Main,
            Rule = ValueRule.Whole(2, (int?)MaxSteps),
            Default = 50,
            Get = p => p.Steps,
            Set = (p, value) => p with { Steps = value },
        };

        public static readonly Hyperparameter<float> GuidanceScale = new()
        {
            Property = nameof(MethodParameters.GuidanceScale),
            Field = "guidance",
            Flag = "--guidance-scale",
            Label = "Text guidance",
            Summary = "classifier-free guidance scale",
            Help = "How strongly the words steer each step; higher is bolder and less like the photo.",
            Form = FormPlacement.Advanced,
            Note =
                "at 1 or below classifier-free guidance ignores the edited prompt, so the edit would silently do "
                + "nothing",
            Rule = ValueRule.Real(1, 50, minExclusive: true),
            Default = 5f,
            Get = p => p.GuidanceScale,
            Set = (p, value) => p with { GuidanceScale = value },
        };

        public static readonly Hyperparameter<ulong> Seed = new()
        {
            Property = nameof(MethodParameters.Seed),
            Field = "seed",
            Flag = "--seed",
            Label = "Seed",
            Summary = "seed of the inversion's regularizer (photos) or of z_T (generated images)",
            Help = "Another whole number gives another, equally valid result.",
            Form = FormPlacement.Advanced,
            Rule = ValueRule.Whole<ulong>(0),
            Default = 0,
            Get = p => p.Seed,
            Set = (p, value) => p with { Seed = value },
        };

        public static readonly Hyperparameter<InversionConvention> Convention = new()
        {
            Property = nameof(MethodParameters.Convention),
            Field = "convention",
            Flag = "--convention",
            Label = "Inversion convention",
            Summary = "inversion convention",
            Help =
                "Aligned inverts to exactly where the first denoising step starts; Official repeats the public code's "
                + "timesteps.",
            Rule = ValueRule.Choice<InversionConvention>(),
            Default = InversionConvention.Aligned,
            Get = p => p.Convention,
            Set = (p, value) => p with { Convention = value },
        };

        public static readonly Hyperparameter<string?> NegativePrompt = new()
        {
            Property = nameof(MethodParameters.NegativePrompt),
            Field = "negative",
            Flag = "--negative",
            Label = "Negative prompt",
            Summary = "negative prompt",
            Help = "The text classifier-free guidance steers away from.",
            Unit = "characters",
            Rule = ValueRule.Text(1000),
            Default = null,
            DefaultWords = "the caption for photos, empty for generated images",
            Get = p => p.NegativePrompt,
            Set = (p, value) => p with { NegativePrompt = value },
        };

        public static readonly IReadOnlyList<Hyperparameter> All =
        [
            EditMultiplier,
            CrossAttentionGuidance,
            Steps,
            GuidanceScale,
            Seed,
            Convention,
            NegativePrompt,
        ];
    }
}
