using System.Text.Json;
using System.Text.Json.Serialization;
using Pix2PixZero.Core.Imaging;
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
    int? OriginalWidth,
    int? OriginalHeight,
    int ProcessingWidth,
    int ProcessingHeight,
    int ResultWidth,
    int ResultHeight,
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
            from.Original?.Width,
            from.Original?.Height,
            from.Processing.Width,
            from.Processing.Height,
            from.Result.Width,
            from.Result.Height,
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
