using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>
/// The pipeline opens the probe and guidance sessions of a dynamic UNet with its sizes fixed (ONNX Runtime plans
/// them far faster so), one set per latent shape: the sizes come from the export's own dimension names, the results
/// are the plain UNet's at every shape, square or not, and only the most recently used shapes are kept.
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

    [Theory]
    [InlineData(24, 24)]
    [InlineData(8, 16)]
    [InlineData(24, 16)]
    public void Each_latent_shape_gets_sessions_of_its_size_with_the_plain_unets_results(int height, int width)
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        var context = Context(pipeline, batch: 2);
        using var graphs = pipeline.Sessions.Graphs(height, width);
        var shape = $"{height}×{width}";

        var sample = Noise([2, 4, height, width]);
        var probed = graphs.NoisePredictor.PredictNoise(sample, 501, context);
        var plain = bundle.Unet.PredictNoise(sample, 501, context);
        TensorAssert.Close(probed.Buffer.Span, plain.Buffer.Span, 1e-5, $"noise at {shape} latents");

        var (noise, maps) = graphs.AttentionProbe.Run(sample, 501, context);
        var (loss, gradient) = graphs.Guidance.LossAndGradient(
            Noise([2, 4, height, width], seed: 3),
            501,
            context,
            maps
        );
        Assert.Equal([2, 4, height, width], gradient.Dimensions.ToArray());
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        TensorAssert.Close(noise.Buffer.Span, plain.Buffer.Span, 1e-5, $"the probe's noise at {shape} latents");

        var single = Noise([1, 4, height, width]);
        Assert.Equal(
            [1, 4, height, width],
            graphs.NoisePredictor.PredictNoise(single, 501, Context(pipeline, batch: 1)).Dimensions.ToArray()
        );
    }

    [Fact]
    public void A_pipeline_keeps_the_most_recently_used_shapes_up_to_its_bound_and_never_frees_one_in_use()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle, sessionShapes: 2);
        var context = Context(pipeline, batch: 1);

        using (var held = pipeline.Sessions.Graphs(8, 8))
        {
            pipeline.Sessions.Graphs(8, 16).Dispose();
            pipeline.Sessions.Graphs(16, 8).Dispose();
            // Three shapes, bound two: the least recently used free one (8×16) went; the held one stays usable.
            Assert.Equal([(16, 8), (8, 8)], pipeline.Sessions.Shapes);
            Assert.Equal(
                [1, 4, 8, 8],
                held.NoisePredictor.PredictNoise(Noise([1, 4, 8, 8]), 501, context).Dimensions.ToArray()
            );
        }
        pipeline.Sessions.Graphs(16, 16).Dispose();
        Assert.Equal([(16, 16), (16, 8)], pipeline.Sessions.Shapes);
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
