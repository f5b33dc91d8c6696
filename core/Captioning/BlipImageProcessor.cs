using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Imaging;
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
    public static DenseTensor<float> Preprocess(
        Image<Rgb24> image,
        int size,
        ReadOnlySpan<float> mean,
        ReadOnlySpan<float> std
    )
    {
        using var resized =
            image.Width == size && image.Height == size
                ? image.Clone() // PIL returns an unchanged copy for a same-size resize
                : image.Clone(x =>
                    x.Resize(
                        new ResizeOptions
                        {
                            Size = new Size(size, size),
                            Sampler = KnownResamplers.Bicubic,
                            Mode = ResizeMode.Stretch,
                        }
                    )
                );
        return new PixelNormalization(255f, mean, std).ToTensor(resized);
    }
}
