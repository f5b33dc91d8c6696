namespace Pix2PixZero.Core.Hub;

/// <summary>
/// One file of a hub repository as its file list describes it: the path with '/' separators, the size, and the
/// checksum the hub keeps — SHA-256 for LFS files (the weights), the git blob id (SHA-1 of "blob {size}\0" + content)
/// for small files. Either may be missing on a mirror that lists less; the download's headers fill them in.
/// </summary>
public sealed record HubFile(string Path, long? Size, string? Sha256, string? GitBlobId);
