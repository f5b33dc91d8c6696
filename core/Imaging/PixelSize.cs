namespace Pix2PixZero.Core.Imaging;

/// <summary>A picture's width and height in pixels.</summary>
public readonly record struct PixelSize(int Width, int Height)
{
    public long Area => (long)Width * Height;

    public override string ToString() => $"{Width}×{Height}";
}
