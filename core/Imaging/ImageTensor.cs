using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Imaging;

/// <summary>Conversions between RGB images and the VAE's [1,3,H,W] tensors in [-1, 1].</summary>
public static class ImageTensor
{
    public static DenseTensor<float> ToModelInput(Image<Rgb24> image) => PixelNormalization.SignedUnit.ToTensor(image);

    /// <summary>The decoder's output to pixels: (x/2 + 0.5) clamped to [0, 1], ×255, rounded.</summary>
    public static Image<Rgb24> FromModelOutput(ReadOnlySpan<float> chw, int height, int width)
    {
        if (chw.Length < 3 * height * width)
            throw new ArgumentException(
                $"a {height}×{width} RGB image needs {3 * height * width} values, got {chw.Length}"
            );
        var image = new Image<Rgb24>(width, height);
        var plane = height * width;
        for (var y = 0; y < height; y++)
        for (var x = 0; x < width; x++)
        {
            var i = y * width + x;
            image[x, y] = new Rgb24(ToByte(chw[i]), ToByte(chw[plane + i]), ToByte(chw[2 * plane + i]));
        }
        return image;
    }

    private static byte ToByte(float v) => (byte)MathF.Round(Math.Clamp(v / 2f + 0.5f, 0f, 1f) * 255f);
}
