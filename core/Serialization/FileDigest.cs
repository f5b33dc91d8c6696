using System.Security.Cryptography;

namespace Pix2PixZero.Core.Serialization;

/// <summary>Content hashes of files: what model ids, compiled-graph caches and result manifests are keyed by.</summary>
public static class FileDigest
{
    /// <summary>
    /// SHA-256 of the file's bytes, lower-case hex, read as a stream (weights files run to gigabytes).
    /// </summary>
    public static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
