using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>
/// The pipeline opens the probe and guidance sessions of a dynamic UNet with its sizes fixed (ONNX Runtime plans
/// them far faster so): the sizes come from the export's own dimension names, the results are the plain UNet's, and
/// a bundle set to another size gets new sessions.
/// </summary>
public class SessionSizeTests
{
    [Fact]
    public void The_fixed_dimensions_are_the_exports_own_names_and_a_fixed_unet_has_none()
    {
        using var dynamic = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        var sizes = dynamic.UnetSignature.FixedDimensions(batch: 2, latentHeight: 24, latentWidth: 20, tokens: 77);
        Assert.Equal(
            new Dictionary<string, long>
            {
                ["batch"] = 2,
                ["height"] = 24,
                ["width"] = 20,
                ["sequence"] = 77,
            },
            sizes
        );
        Assert.False(dynamic.UnetSignature.FixedDimensions(batch: null, 24, 24, 77).ContainsKey("batch"));

        using var fixedUnet = ModelBundle.Open(RepoPaths.TinySd, TestProvider.NewFactory());
        var none = fixedUnet.UnetSignature.FixedDimensions(batch: 2, 16, 16, 77);
        Assert.DoesNotContain("height", none.Keys);
        Assert.DoesNotContain("width", none.Keys);
    }

    [Fact]
    public void A_bundle_set_to_another_size_gets_sessions_of_that_size_with_the_plain_unets_results()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        var context = Context(pipeline, batch: 2);

        var small = Noise([2, 4, bundle.LatentSize, bundle.LatentSize]);
        Assert.Equal(
            [2, 4, bundle.LatentSize, bundle.LatentSize],
            pipeline.NoisePredictor.PredictNoise(small, 501, context).Dimensions.ToArray()
        );

        bundle.UseImageSize(192);
        var sample = Noise([2, 4, 24, 24]);
        var probed = pipeline.NoisePredictor.PredictNoise(sample, 501, context);
        var plain = bundle.Unet.PredictNoise(sample, 501, context);
        TensorAssert.Close(probed.Buffer.Span, plain.Buffer.Span, 1e-5, "noise at 24×24 latents");

        var (noise, maps) = pipeline.AttentionProbe.Run(sample, 501, context);
        var (loss, gradient) = pipeline.Guidance.LossAndGradient(Noise([2, 4, 24, 24], seed: 3), 501, context, maps);
        Assert.Equal([2, 4, 24, 24], gradient.Dimensions.ToArray());
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        TensorAssert.Close(noise.Buffer.Span, plain.Buffer.Span, 1e-5, "the probe's noise at 24×24 latents");

        var single = Noise([1, 4, 24, 24]);
        Assert.Equal(
            [1, 4, 24, 24],
            pipeline.NoisePredictor.PredictNoise(single, 501, Context(pipeline, batch: 1)).Dimensions.ToArray()
        );
    }

    private static DenseTensor<float> Context(Pix2PixZeroPipeline pipeline, int batch)
    {
        var row = pipeline.Prompts.Encode("a photo of a cat");
        return new DenseTensor<float>(
            Enumerable.Repeat(row, batch).SelectMany(r => r).ToArray(),
            [batch, pipeline.Prompts.SequenceLength, row.Length / pipeline.Prompts.SequenceLength]
        );
    }

    private static DenseTensor<float> Noise(int[] shape, ulong seed = 1)
    {
        var tensor = new DenseTensor<float>(shape);
        SeededGaussian.Fill(tensor.Buffer.Span, seed);
        return tensor;
    }
}
