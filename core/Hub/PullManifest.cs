using System.Text.Json;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Hub;

/// <summary>
/// What a pull placed: the source and commit, and every file with its size and checksum. It is written last, so a
/// bundle folder holding it is complete; a second pull that finds the same files listed has nothing to do.
/// </summary>
public sealed record PullManifest(
    string Repository,
    string Revision,
    string Commit,
    string Endpoint,
    DateTimeOffset PulledAt,
    IReadOnlyList<HubFile> Files
)
{
    public const string FileName = "pull-manifest.json";

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>
    /// The manifest of a folder, or <c>null</c> when it has none (or one that does not parse: then it is not ours).
    /// </summary>
    public static PullManifest? TryRead(string directory)
    {
        var path = Path.Combine(directory, FileName);
        if (!File.Exists(path))
            return null;
        try
        {
            return JsonSerializer.Deserialize<PullManifest>(File.ReadAllText(path), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Write(string directory) =>
        File.WriteAllText(Path.Combine(directory, FileName), JsonSerializer.Serialize(this, Json));

    /// <summary>
    /// Same repository and the same files (path, size, checksum where the listing has them) as a new listing selects.
    /// </summary>
    public bool Matches(HubModelReference model, IReadOnlyList<HubFile> files) =>
        string.Equals(Repository, model.Repository, StringComparison.OrdinalIgnoreCase)
        && Files.Count == files.Count
        && Files
            .OrderBy(f => f.Path, StringComparer.Ordinal)
            .Zip(files.OrderBy(f => f.Path, StringComparer.Ordinal))
            .All(p =>
                p.First.Path == p.Second.Path
                && p.First.Size == (p.Second.Size ?? p.First.Size)
                && p.First.Sha256 == (p.Second.Sha256 ?? p.First.Sha256)
                && p.First.GitBlobId == (p.Second.GitBlobId ?? p.First.GitBlobId)
            );

    /// <summary>
    /// The SHA-256 the pull verified for <paramref name="path"/> (a repository path such as <c>unet/weights.pb</c>),
    /// while the file is as the pull left it: the same size and not written since. Null for a file the pull checked
    /// by its git blob id only, or one changed since; such a file has to be hashed.
    /// </summary>
    public string? VerifiedSha256(string directory, string path) =>
        Files.FirstOrDefault(f => f.Path == path) is { Sha256: { } sha256 } file
        && FileTarget.Resolve(BundleLayout.LocalPath(directory, path)) is { } info
        && info.Length == file.Size
        && info.LastWriteTimeUtc <= PulledAt.UtcDateTime
            ? sha256
            : null;

    /// <summary>Every listed file is in the folder with its recorded size.</summary>
    public bool IsPresentIn(string directory) =>
        Files.All(f =>
            FileTarget.Resolve(BundleLayout.LocalPath(directory, f.Path)) is { } info
            && (f.Size is null || info.Length == f.Size)
        );
}
