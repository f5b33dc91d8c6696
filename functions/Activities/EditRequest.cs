using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// The edit orchestration's input: the source image, the version of it that was submitted (ETag, when known) and the
/// options as given (blob metadata or HTTP fields), which the prepare activity validates, how its activities retry
/// and where its GPU stages run (null: in process). <see cref="Fingerprint"/> identifies what an HTTP request asked
/// for, so that its <c>Idempotency-Key</c> is not taken for a different request (EditsApi).
/// </summary>
public sealed record EditRequest(
    string Id,
    BlobRef Source,
    string? SourceETag,
    IReadOnlyDictionary<string, string> Options,
    DateTimeOffset SubmittedAt,
    ActivityRetry Retry,
    string? Fingerprint = null,
    GpuStageRouting? Gpu = null
);
