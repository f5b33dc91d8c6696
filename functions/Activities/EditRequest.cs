using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// The edit orchestration's input: the source image, the version of it that was submitted (ETag, when known), the
/// options as given (blob metadata or HTTP fields, which the manifest records) and as read where the request arrived
/// (<see cref="Settings"/>: nothing downstream reads the text again), how its activities retry and where its GPU
/// stages run (null: in process). <see cref="Fingerprint"/> identifies what an HTTP request asked for, so that its
/// <c>Idempotency-Key</c> is not taken for a different request (EditsApi).
/// </summary>
public sealed record EditRequest(
    string Id,
    BlobRef Source,
    string? SourceETag,
    IReadOnlyDictionary<string, string> Options,
    RequestSettings? Settings,
    DateTimeOffset SubmittedAt,
    ActivityRetry Retry,
    string? Fingerprint = null,
    GpuStageRouting? Gpu = null
)
{
    /// <summary>
    /// Why the options were refused, when that happened where no client waits for an answer (an inbox blob's
    /// metadata); <see cref="Settings"/> is null then, and the request fails in its first stage with this message.
    /// </summary>
    public string? Refused { get; init; }
}
