using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// The containers (created by infra/modules/storage.bicep) and where each artefact of a request lives in them.
/// Everything under <c>work/</c> is an intermediate that a lifecycle rule expires; <c>edit-results/{id}/</c> is
/// complete exactly when its <c>manifest.json</c> exists (written last), and holds only <c>error.json</c> when the
/// request failed.
/// </summary>
public static class StorageLayout
{
    public const string Requests = "edit-requests";
    public const string Results = "edit-results";
    public const string Directions = "directions";
    public const string Work = "work";

    public static readonly IReadOnlyList<string> Containers = [Requests, Results, Directions, Work];

    /// <summary>Containers a JSON request may name as its source image.</summary>
    public static readonly IReadOnlyList<string> SourceContainers = [Requests, Work, Results];

    public const int MaxRequestIdLength = 100;

    /// <summary>
    /// Whether <paramref name="id"/> can be a request id (what this app makes: hex, "blob-…", "key-…"): letters,
    /// digits, '-' and '_'. Anything else, such as "..", is refused before it becomes part of a blob name.
    /// </summary>
    public static bool IsRequestId(string? id) =>
        id is { Length: > 0 and <= MaxRequestIdLength } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public const string ManifestFile = "manifest.json";
    public const string ErrorFile = "error.json";

    public static BlobRef Upload(string id, string fileName) => new(Work, $"{id}/upload/{fileName}");

    public static BlobRef PreparedImage(string id) => new(Work, $"{id}/input.png");

    public static BlobRef InvertedLatent(string id) => new(Work, $"{id}/inverted.p2pzinv");

    public static BlobRef StagedResult(string id, string task) => new(Work, $"{id}/results/{task}.png");

    public static BlobRef Progress(string id) => new(Work, $"{id}/progress.json");

    /// <summary>Present once the request was cancelled: GPU workers stop its running stage and skip its work.</summary>
    public static BlobRef CancelMarker(string id) => new(Work, $"{id}/cancelled.json");

    public static BlobRef Sentences(string sentenceSetHash) => new(Directions, $"sentences/{sentenceSetHash}.txt");

    /// <summary>
    /// A word's mean over one sentence set for one model, named as core's <see cref="DirectionStore"/> names its files
    /// (<c>{model}/{word}-{sentence set hash}.p2pzmean</c>), so a worker's local store mirrors the container. Stored
    /// means are found by this name: changing it orphans them.
    /// </summary>
    public static BlobRef WordMean(string modelId, EditWord word, string sentenceSetHash) =>
        new(Directions, $"{DirectionStore.ModelFolder(modelId)}/{DirectionStore.FileName(word, sentenceSetHash)}");

    /// <summary>The lock blob that serialises computing one mean across workers.</summary>
    public static BlobRef WordMeanLock(BlobRef mean) => new(Directions, $"locks/{mean.Name}.lock");

    public static string ResultPrefix(string id) => $"{id}/";

    public static BlobRef Result(string id, string task) => new(Results, $"{id}/{task}.png");

    public static BlobRef Manifest(string id) => new(Results, $"{id}/{ManifestFile}");

    public static BlobRef Error(string id) => new(Results, $"{id}/{ErrorFile}");
}
