namespace Pix2PixZero.Core.Serialization;

/// <summary>The per-user cache folders (XDG base directories): models, word means, compiled graphs.</summary>
public static class UserCache
{
    /// <summary>$XDG_CACHE_HOME/pix2pix-zero/{name}, else ~/.cache/pix2pix-zero/{name}.</summary>
    public static string Folder(string name) =>
        Path.Combine(
            Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
                ? cache
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"),
            "pix2pix-zero",
            name
        );
}
