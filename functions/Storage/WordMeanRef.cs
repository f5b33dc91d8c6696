namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// A stored word mean; <see cref="Computed"/> says whether this call computed it (false: it was stored already).
/// </summary>
public sealed record WordMeanRef(
    string Word,
    BlobRef Blob,
    string SentenceSetHash,
    int SentenceCount,
    bool Computed,
    double Seconds
);
