namespace Pix2PixZero.Core.Imaging;

/// <summary>What an image file says about itself before its pixels are decoded: its format and size.</summary>
public sealed record ImageHeader(string Format, int Width, int Height);
