using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pix2PixZero.Core.Scheduling;

/// <summary>
/// The part of a diffusers <c>scheduler_config.json</c> that defines DDIM's noise schedule. SD 1.x ships a PNDM
/// config; DDIM reads the same beta schedule from it (DESIGN.md §1.1).
/// </summary>
public sealed record SchedulerConfig
{
    [JsonPropertyName("num_train_timesteps")]
    public int TrainTimesteps { get; init; } = 1000;

    [JsonPropertyName("beta_start")]
    public double BetaStart { get; init; } = 0.00085;

    [JsonPropertyName("beta_end")]
    public double BetaEnd { get; init; } = 0.012;

    [JsonPropertyName("beta_schedule")]
    public string BetaSchedule { get; init; } = "scaled_linear";

    [JsonPropertyName("steps_offset")]
    public int StepsOffset { get; init; } = 1;

    [JsonPropertyName("set_alpha_to_one")]
    public bool SetAlphaToOne { get; init; }

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
        if (!(BetaStart > 0 && BetaEnd > BetaStart && BetaEnd < 1))
            throw new FormatException(
                $"beta_start {BetaStart} / beta_end {BetaEnd} must satisfy 0 < beta_start < beta_end < 1"
            );
        if (BetaSchedule is not ("scaled_linear" or "linear"))
            throw new FormatException(
                $"beta_schedule '{BetaSchedule}' is not supported; expected 'scaled_linear' or 'linear'"
            );
        if (StepsOffset < 0 || StepsOffset >= TrainTimesteps)
            throw new FormatException($"steps_offset {StepsOffset} must be in 0..{TrainTimesteps - 1}");
    }
}
