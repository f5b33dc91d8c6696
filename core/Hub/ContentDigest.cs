using System.Security.Cryptography;
using System.Text;

namespace Pix2PixZero.Core.Hub;

/// <summary>
/// The checksum a downloaded file is held to, computed while it streams: SHA-256 for LFS files, else the git blob
/// id (SHA-1 over "blob {size}\0" then the content, as git and the hub compute it).
/// </summary>
internal sealed class ContentDigest : IDisposable
{
    private readonly IncrementalHash _hash;

    private ContentDigest(IncrementalHash hash, string algorithm, string expected)
    {
        _hash = hash;
        Algorithm = algorithm;
        Expected = expected;
    }

    public string Algorithm { get; }

    public string Expected { get; }

    /// <summary>The digest for a file of known size, or <c>null</c> when the hub gave no checksum for it.</summary>
    public static ContentDigest? For(HubFile file, long size)
    {
        if (file.Sha256 is { } sha256)
            return new ContentDigest(IncrementalHash.CreateHash(HashAlgorithmName.SHA256), "SHA-256", sha256);
        if (file.GitBlobId is not { } blob)
            return null;
        var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
        hash.AppendData(Encoding.ASCII.GetBytes($"blob {size}\0"));
        return new ContentDigest(hash, "git blob SHA-1", blob);
    }

    public void Append(ReadOnlySpan<byte> data) => _hash.AppendData(data);

    /// <summary>
    /// Feeds the first <paramref name="length"/> bytes of a partial file (the part a resumed download keeps).
    /// </summary>
    public void AppendFile(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var buffer = new byte[1 << 20];
        for (long left = length; left > 0; )
        {
            var read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (read == 0)
                throw new IOException($"{path} is shorter than {length} bytes");
            _hash.AppendData(buffer, 0, read);
            left -= read;
        }
    }

    public string Actual() => Convert.ToHexStringLower(_hash.GetHashAndReset());

    public void Dispose() => _hash.Dispose();
}
