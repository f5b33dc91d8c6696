using System.Text.Json;
using System.Text.Json.Serialization;
using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// What an edit was made from and with — every hyperparameter and convention — written beside each result
/// (DESIGN.md: "record every choice in output metadata").
/// </summary>
public sealed record EditRecord(
    string Mode,
    string? Input,
    string? Prompt,
    string Caption,
    string CaptionSource,
    string Task,
    string ModelDirectory,
    string ModelId,
    string Provider,
    int ImageSize,
    int Steps,
    float GuidanceScale,
    float CrossAttentionGuidance,
    string InversionConvention,
    NoiseRegularizerOptions Regularizer,
    ulong Seed,
    float EditMultiplier,
    string NegativePrompt,
    string DirectionSentences,
    string Scheduler,
    IReadOnlyDictionary<string, double> StageSeconds
)
{
    public string Encoding => "VAE posterior mean × scaling factor";

    public string CfgBatchOrder => "[negative, positive]";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    /// <summary>The record of one result; the options' defaults are resolved to the values actually used.</summary>
    public static EditRecord Create(
        EditProvenance from,
        string task,
        MethodParameters options,
        IReadOnlyDictionary<string, double> stageSeconds
    ) =>
        new(
            from.Synthetic ? "synthetic" : "real",
            from.Input,
            from.Prompt,
            from.Caption,
            from.CaptionSource,
            task,
            from.ModelDirectory,
            from.ModelId,
            from.Provider,
            from.ImageSize,
            options.Steps,
            options.GuidanceScale,
            options.EffectiveCrossAttentionGuidance(from.Synthetic),
            options.Convention.ToString(),
            options.Regularizer,
            options.Seed,
            options.EditMultiplier,
            options.NegativePrompt ?? (from.Synthetic ? "" : from.Caption),
            from.DirectionSentences,
            from.Scheduler,
            stageSeconds
        );
}

/// <summary>
/// What the results of one request were made from and with, shared by its records: the input (a photo, or a prompt
/// in synthetic mode), its caption, the model and where it ran, the sentences the directions were averaged over, and
/// the scheduler as the model's config defines it (<see cref="Scheduling.SchedulerConfig.Describe"/>).
/// </summary>
public sealed record EditProvenance(
    bool Synthetic,
    string? Input,
    string? Prompt,
    string Caption,
    string CaptionSource,
    string ModelDirectory,
    string ModelId,
    string Provider,
    int ImageSize,
    string DirectionSentences,
    string Scheduler
);
