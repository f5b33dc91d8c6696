using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pix2PixZero.Core.Scheduling;

/// <summary>
/// Every field of a diffusers <c>scheduler_config.json</c> that changes DDIM's maths (DESIGN.md §1.1), read whole:
/// the noise schedule, how timesteps are spaced and offset, what the UNet predicts, and what is done to the predicted
/// x₀. SD 1.x ships a PNDM config; DDIM reads the same fields from it, as the public code's
/// <c>DDIMScheduler.from_config</c> does, and fields of other samplers (<c>skip_prk_steps</c>, <c>solver_order</c>,
/// …) mean nothing to it. A field left out takes SD 1.x's value (what diffusers' Stable Diffusion pipeline corrects
/// an old config to). Values the method does not implement are refused by <see cref="Validate"/>, naming the field,
/// its value and what is supported, so a model trained otherwise never runs the wrong maths silently.
/// </summary>
public sealed record SchedulerConfig
{
    public const string Epsilon = "epsilon";
    public const string Leading = "leading";
    public const string ScaledLinear = "scaled_linear";
    public const string Linear = "linear";
    public const string SquaredCosine = "squaredcos_cap_v2";

    public static IReadOnlyList<string> BetaSchedules { get; } = [ScaledLinear, Linear, SquaredCosine];

    [JsonPropertyName("num_train_timesteps")]
    public int TrainTimesteps { get; init; } = 1000;

    [JsonPropertyName("beta_start")]
    public double BetaStart { get; init; } = 0.00085;

    [JsonPropertyName("beta_end")]
    public double BetaEnd { get; init; } = 0.012;

    [JsonPropertyName("beta_schedule")]
    public string BetaSchedule { get; init; } = ScaledLinear;

    /// <summary>The betas themselves, replacing <see cref="BetaSchedule"/> when given (diffusers' rule).</summary>
    [JsonPropertyName("trained_betas")]
    public double[]? TrainedBetas { get; init; }

    [JsonPropertyName("steps_offset")]
    public int StepsOffset { get; init; } = 1;

    [JsonPropertyName("set_alpha_to_one")]
    public bool SetAlphaToOne { get; init; }

    [JsonPropertyName("prediction_type")]
    public string PredictionType { get; init; } = Epsilon;

    [JsonPropertyName("timestep_spacing")]
    public string TimestepSpacing { get; init; } = Leading;

    [JsonPropertyName("rescale_betas_zero_snr")]
    public bool RescaleBetasZeroSnr { get; init; }

    [JsonPropertyName("clip_sample")]
    public bool ClipSample { get; init; }

    [JsonPropertyName("thresholding")]
    public bool Thresholding { get; init; }

    /// <summary>Stable Diffusion 1.x's schedule.</summary>
    public static SchedulerConfig StableDiffusion { get; } = new();

    public static SchedulerConfig Parse(string json)
    {
        var config = JsonSerializer.Deserialize<SchedulerConfig>(json)
            ?? throw new FormatException("the scheduler config is empty (expected a JSON object)");
        config.Validate();
        return config;
    }

    public void Validate()
    {
        if (TrainTimesteps is < 2 or > 100_000)
            throw new FormatException($"num_train_timesteps is {TrainTimesteps}; expected 2..100000");
        if (TrainedBetas is { } betas)
        {
            if (betas.Length != TrainTimesteps)
                throw new FormatException(
                    $"trained_betas holds {betas.Length} betas but num_train_timesteps is {TrainTimesteps}; "
                        + "give one beta per training timestep"
                );
            if (Array.FindIndex(betas, b => !(b > 0 && b < 1)) is var bad and >= 0)
                throw new FormatException($"trained_betas[{bad}] is {betas[bad]}; every beta must lie in (0, 1)");
        }
        else if (!BetaSchedules.Contains(BetaSchedule))
            throw Unsupported("beta_schedule", BetaSchedule, string.Join(", ", BetaSchedules.Select(s => $"\"{s}\"")));
        else if (BetaSchedule != SquaredCosine && !(BetaStart > 0 && BetaEnd > BetaStart && BetaEnd < 1))
            throw new FormatException(
                $"beta_start {BetaStart} / beta_end {BetaEnd} must satisfy 0 < beta_start < beta_end < 1"
            );
        if (StepsOffset < 0 || StepsOffset >= TrainTimesteps)
            throw new FormatException($"steps_offset {StepsOffset} must be in 0..{TrainTimesteps - 1}");
        if (PredictionType != Epsilon)
            throw Unsupported(
                "prediction_type",
                PredictionType,
                $"\"{Epsilon}\" (a UNet that predicts the noise, as SD 1.x's); the DDIM steps and the inversion "
                    + "implement no other"
            );
        if (TimestepSpacing != Leading)
            throw Unsupported(
                "timestep_spacing",
                TimestepSpacing,
                $"\"{Leading}\" (SD 1.x's: 981, 961, …, 1 for 50 steps)"
            );
        if (RescaleBetasZeroSnr)
            throw Unsupported("rescale_betas_zero_snr", true, "false (the betas as given)");
        if (ClipSample)
            throw Unsupported("clip_sample", true, "false: the method's DDIM leaves the predicted x₀ unclipped");
        if (Thresholding)
            throw Unsupported("thresholding", true, "false: the method's DDIM applies no dynamic thresholding");
    }

    /// <summary>The scheduler as the edit record states it: every value the DDIM maths reads.</summary>
    public string Describe()
    {
        var betas =
            TrainedBetas is not null ? "trained betas"
            : BetaSchedule == SquaredCosine ? $"{BetaSchedule} betas"
            : FormattableString.Invariant($"{BetaSchedule} betas {BetaStart}..{BetaEnd}");
        return $"DDIM, eta 0, {PredictionType} prediction, {TimestepSpacing} timesteps, steps_offset {StepsOffset}, "
            + $"{betas} over {TrainTimesteps} train steps, set_alpha_to_one {(SetAlphaToOne ? "true" : "false")}";
    }

    private static FormatException Unsupported(string field, object value, string supported) =>
        new(
            $"{field} is {(value is bool b ? (b ? "true" : "false") : $"\"{value}\"")}, which the method does not "
                + $"implement; supported: {supported}"
        );
}
