using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Where a UNet's compiled guidance graphs are kept. Beside the UNet when its folder takes new files, so they travel
/// with the model folder; otherwise (a container image, a read-only share, another user's cache) in a writable cache,
/// one folder per UNet named by the SHA-256 of its <c>model.onnx</c>, which is all they are compiled from: the weights
/// stay where they are and are read in place (<see cref="ExternalWeights"/>). Graphs already compiled beside
/// a UNet whose folder became read-only are used where they are.
/// </summary>
/// <param name="Root">The cache's folder: <see cref="DefaultRoot"/> unless configured.</param>
public sealed record GraphCache(string Root)
{
    /// <summary>The environment variable that moves the cache (for the CLI; the Functions app has a setting).</summary>
    public const string Variable = "PIX2PIX_ZERO_GRAPH_CACHE";

    /// <summary>
    /// $PIX2PIX_ZERO_GRAPH_CACHE, else $XDG_CACHE_HOME/pix2pix-zero/graphs, else ~/.cache/pix2pix-zero/graphs.
    /// </summary>
    public static string DefaultRoot =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } root ? root : UserCache.Folder("graphs");

    public static GraphCache Default => new(DefaultRoot);

    /// <summary>
    /// Whether a folder takes new files. Tried by creating one, since permission bits do not tell (root ignores them,
    /// a read-only mount refuses everyone); replaceable so tests can present a read-only folder.
    /// </summary>
    public Func<string, bool> IsWritable { get; init; } = TakesFiles;

    /// <summary>The folder compiled graphs of the UNet in <paramref name="unetFolder"/> are written to.</summary>
    public string FolderFor(string unetFolder, string unetSha256) =>
        IsWritable(unetFolder) ? unetFolder : Path.Combine(Root, unetSha256);

    private static bool TakesFiles(string folder)
    {
        try
        {
            // A name AtomicFile.IsTemporary knows, so anything copying the folder meanwhile passes it over.
            using var _ = new FileStream(
                Path.Combine(folder, $".write-check-{Guid.NewGuid():N}.tmp"),
                FileMode.CreateNew,
                FileAccess.Write,
                FileShare.None,
                1,
                FileOptions.DeleteOnClose
            );
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
