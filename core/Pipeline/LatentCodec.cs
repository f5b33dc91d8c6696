using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Between pictures and SD latents (DESIGN.md §1.2 steps 1 and 7): image → processing size (Lanczos) → [-1,1] →
/// posterior mean × scaling factor = z0; and z → VAE.decode(z / scaling factor) → (x/2 + 0.5) clamped → pixels.
/// </summary>
public sealed class LatentCodec(ModelBundle bundle)
{
    /// <summary>z0 of the photo at <paramref name="size"/> (default: the size picked for its proportions).</summary>
    public DenseTensor<float> Encode(Image<Rgb24> image, PixelSize? size = null)
    {
        using var sized = ImageCodec.Resize(image, size ?? bundle.ProcessingSize(ImageCodec.SizeOf(image)));
        var mean = bundle.VaeEncoder.EncodeMean(ImageTensor.ToModelInput(sized));
        Scale(mean.Buffer.Span, bundle.ScalingFactor);
        NonFiniteCheck.Values(mean.Buffer.Span, EditStage.Encode.Name);
        return mean;
    }

    /// <summary>The decoder's raw output in [-1,1] (unclamped) for latents z; NaN or ±∞ in it stops the run.</summary>
    public DenseTensor<float> DecodeRaw(DenseTensor<float> latents)
    {
        var unscaled = new DenseTensor<float>(latents.Buffer.ToArray(), latents.Dimensions.ToArray());
        Scale(unscaled.Buffer.Span, 1f / bundle.ScalingFactor);
        var decoded = bundle.VaeDecoder.Decode(unscaled);
        NonFiniteCheck.Values(decoded.Buffer.Span, EditStage.Decode.Name);
        return decoded;
    }

    public Image<Rgb24> Decode(DenseTensor<float> latents)
    {
        var raw = DecodeRaw(latents);
        return ImageTensor.FromModelOutput(raw.Buffer.Span, raw.Dimensions[2], raw.Dimensions[3]);
    }

    private static void Scale(Span<float> values, float factor)
    {
        for (var i = 0; i < values.Length; i++)
            values[i] *= factor;
    }
}
