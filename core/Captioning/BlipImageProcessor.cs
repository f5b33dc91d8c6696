using Microsoft.ML.OnnxRuntime.Tensors;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;

namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// transformers' BlipImageProcessor: bicubic resize to size × size (a stretch), x/255, (x − mean)/std per channel,
/// [1,3,size,size]. ImageSharp's bicubic is not PIL's fixed-point one; the difference is measured in the tests.
/// </summary>
public static class BlipImageProcessor
{
    public static DenseTensor<float> Preprocess(Image<Rgb24> image, int size, ReadOnlySpan<float> mean, ReadOnlySpan<float> std)
    {
        using var resized = image.Width == size && image.Height == size
            ? image.Clone()  // PIL returns an unchanged copy for a same-size resize
            : image.Clone(x => x.Resize(new ResizeOptions { Size = new Size(size, size), Sampler = KnownResamplers.Bicubic, Mode = ResizeMode.Stretch }));
        var tensor = new DenseTensor<float>([1, 3, size, size]);
        var data = tensor.Buffer;
        float m0 = mean[0], m1 = mean[1], m2 = mean[2], s0 = std[0], s1 = std[1], s2 = std[2];
        var plane = size * size;
        resized.ProcessPixelRows(rows =>
        {
            var span = data.Span;
            for (var y = 0; y < size; y++)
            {
                var row = rows.GetRowSpan(y);
                for (var x = 0; x < size; x++)
                {
                    var i = y * size + x;
                    span[i] = (row[x].R / 255f - m0) / s0;
                    span[plane + i] = (row[x].G / 255f - m1) / s1;
                    span[2 * plane + i] = (row[x].B / 255f - m2) / s2;
                }
            }
        });
        return tensor;
    }
}
