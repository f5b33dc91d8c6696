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
    IReadOnlyDictionary<string, double> StageSeconds)
{
    public string Scheduler => "DDIM, eta 0, leading timesteps, steps_offset 1";

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
    public static EditRecord Create(EditOptions options, bool synthetic, string? input, string? prompt, string caption, string captionSource,
        string task, string modelDirectory, string modelId, string provider, int imageSize, string directionSentences,
        IReadOnlyDictionary<string, double> stageSeconds) => new(
        synthetic ? "synthetic" : "real", input, prompt, caption, captionSource, task, modelDirectory, modelId, provider, imageSize,
        options.Steps, options.GuidanceScale, options.EffectiveCrossAttentionGuidance(synthetic), options.Convention.ToString(),
        options.Regularizer, options.Seed, options.EditMultiplier,
        options.NegativePrompt ?? (synthetic ? "" : caption), directionSentences, stageSeconds);
}
