namespace Pix2PixZero.Core.Hub;

/// <summary>
/// Where a pull is: file <see cref="FileNumber"/> of <see cref="FileCount"/>, its bytes so far and its size.
/// </summary>
public sealed record PullProgress(string File, int FileNumber, int FileCount, long Bytes, long? Size);
