namespace Pix2PixZero.Core.Imaging;

/// <summary>
/// Bounds checked before an image is decoded. The pixel limit is read from the header, so a small file that
/// claims a huge canvas (a decompression bomb) is refused without allocating it.
/// </summary>
public sealed record ImageLimits
{
    public long MaxBytes { get; init; } = 50L * 1024 * 1024;

    public long MaxPixels { get; init; } = 40_000_000;

    public int MaxSide { get; init; } = 16_384;

    public static ImageLimits Default { get; } = new();
}
