using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Imaging;

/// <summary>
/// 8-bit RGB to a float [1, 3, H, W] tensor (CHW), per channel c: <c>(byte / divisor − mean[c]) / std[c]</c>.
/// The VAE reads [−1, 1] (<see cref="SignedUnit"/>); BLIP reads transformers' rescale by 1/255 then (x − mean)/std.
/// The 3 × 256 possible values are computed once with that formula, so every model sees the same floats as the
/// formula evaluated per pixel.
/// </summary>
public sealed class PixelNormalization
{
    private const int Levels = 256;
    private readonly float[] _values;

    public PixelNormalization(float divisor, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        if (mean.Length != 3 || std.Length != 3)
            throw new ArgumentException(
                $"RGB normalization needs 3 means and 3 standard deviations, got {mean.Length} and {std.Length}"
            );
        _values = new float[3 * Levels];
        for (var c = 0; c < 3; c++)
        for (var level = 0; level < Levels; level++)
            _values[c * Levels + level] = (level / divisor - mean[c]) / std[c];
    }

    /// <summary>byte/127.5 − 1: the [−1, 1] range the VAE encoder was trained on.</summary>
    public static PixelNormalization SignedUnit { get; } = new(127.5f, [1f, 1f, 1f], [1f, 1f, 1f]);

    public DenseTensor<float> ToTensor(Image<Rgb24> image)
    {
        int h = image.Height,
            w = image.Width,
            plane = h * w;
        var tensor = new DenseTensor<float>([1, 3, h, w]);
        var buffer = tensor.Buffer;
        var values = _values;
        image.ProcessPixelRows(rows =>
        {
            var data = buffer.Span;
            for (var y = 0; y < h; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < w; x++)
                {
                    var i = y * w + x;
                    data[i] = values[row[x].R];
                    data[plane + i] = values[Levels + row[x].G];
                    data[2 * plane + i] = values[2 * Levels + row[x].B];
                }
            }
        });
        return tensor;
    }
}
