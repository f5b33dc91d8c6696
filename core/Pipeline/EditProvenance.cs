using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// What the results of one request were made from and with, shared by its records: the input (a photo, or a prompt
/// in synthetic mode), its caption, the model and where it ran, the sentences the directions were averaged over, the
/// scheduler as the model's config defines it (<see cref="Scheduling.SchedulerConfig.Describe"/>), and the photo's
/// own size (none in synthetic mode), the size the method ran at and the size of the pictures returned. Made by
/// <see cref="OfPhoto"/> or <see cref="OfPrompt"/> alone, so every record reads the model the same way.
/// </summary>
public sealed record EditProvenance
{
    private EditProvenance(
        ModelBundle bundle,
        string modelId,
        string? provider,
        string caption,
        string captionSource,
        PixelSize processing,
        string directionSentences
    )
    {
        Caption = caption;
        CaptionSource = captionSource;
        ModelDirectory = bundle.Directory;
        ModelId = modelId;
        Provider = provider ?? ProviderOf(bundle);
        Processing = processing;
        Result = processing;
        DirectionSentences = directionSentences;
        Scheduler = bundle.SchedulerConfig.Describe();
    }

    /// <summary>The caption source of a caption BLIP wrote.</summary>
    public const string BlipCaption = "BLIP";

    /// <summary>The caption source of a caption the user gave.</summary>
    public const string UserCaption = "user";

    /// <summary>The caption source in synthetic mode, where the prompt is the caption.</summary>
    public const string PromptCaption = "prompt";

    public bool Synthetic { get; private init; }

    public string? Input { get; private init; }

    public string? Prompt { get; private init; }

    public string Caption { get; }

    public string CaptionSource { get; }

    public string ModelDirectory { get; }

    public string ModelId { get; }

    public string Provider { get; }

    public PixelSize? Original { get; private init; }

    public PixelSize Processing { get; }

    public PixelSize Result { get; private init; }

    public string DirectionSentences { get; }

    public string Scheduler { get; }

    /// <summary>
    /// The execution provider the bundle's sessions run on ("Cuda", "Cpu"); "?" before any was created.
    /// </summary>
    public static string ProviderOf(ModelBundle bundle) => bundle.Sessions.ActiveProvider?.ToString() ?? "?";

    /// <summary>
    /// A photo's edits: <paramref name="input"/> names the photo; the pictures are <paramref name="processing"/> in
    /// size, or the photo's own when <paramref name="resizedToOriginal"/>. <paramref name="provider"/> is where the
    /// edit ran when that was another process than the one with <paramref name="bundle"/> open (a GPU worker).
    /// </summary>
    public static EditProvenance OfPhoto(
        ModelBundle bundle,
        string modelId,
        string input,
        string caption,
        string captionSource,
        PixelSize original,
        PixelSize processing,
        bool resizedToOriginal,
        string directionSentences,
        string? provider = null
    ) =>
        new(bundle, modelId, provider, caption, captionSource, processing, directionSentences)
        {
            Input = input,
            Original = original,
            Result = resizedToOriginal ? original : processing,
        };

    /// <summary>
    /// Synthetic mode's edits of a picture generated from <paramref name="prompt"/> at <paramref name="size"/>.
    /// </summary>
    public static EditProvenance OfPrompt(
        ModelBundle bundle,
        string modelId,
        string prompt,
        PixelSize size,
        string directionSentences
    ) =>
        new(bundle, modelId, null, prompt, PromptCaption, size, directionSentences)
        {
            Synthetic = true,
            Prompt = prompt,
        };
}
