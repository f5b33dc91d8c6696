using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// <c>edit-results/{id}/manifest.json</c>: everything a result was made from and with, written after every result
/// image, so its presence means the request is complete.
/// </summary>
public sealed record EditManifest(
    string Id,
    DateTimeOffset SubmittedAt,
    DateTimeOffset CompletedAt,
    ManifestInput Input,
    string Caption,
    string CaptionSource,
    IReadOnlyList<ManifestResult> Results,
    IReadOnlyList<WordMeanRef> Directions,
    string Mode,
    ManifestModel Model,
    string Provider,
    IReadOnlyDictionary<string, double> StageSeconds
);

/// <summary>
/// The source as submitted (blob, version, content hash, size, options as given) and its normalised copy.
/// </summary>
public sealed record ManifestInput(
    BlobRef Source,
    string? ETag,
    string Sha256,
    int Width,
    int Height,
    BlobRef Prepared,
    IReadOnlyDictionary<string, string> Options
);

/// <summary>
/// One published result; <see cref="Record"/> holds every hyperparameter as used (core's per-result record).
/// </summary>
public sealed record ManifestResult(string Task, BlobRef Image, string Sha256, EditRecord Record);

/// <summary>The model folder, its text encoder id and the SHA-256 of each graph and weights file.</summary>
public sealed record ManifestModel(string Directory, string Id, IReadOnlyDictionary<string, string> Hashes);
