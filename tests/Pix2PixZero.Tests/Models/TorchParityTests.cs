using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Models;

/// <summary>
/// The tiny random-weight SD 1.x graphs, run through the real bundle loader and wrappers on ONNX Runtime (CPU, or
/// <see cref="TestProvider"/>'s choice),
/// match PyTorch's outputs from <c>/usr/bin/python3 tests/fixtures/generate.py</c> to ≤ 1e-4 max abs error.
/// </summary>
public class TorchParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private static ModelBundle Open(string dir) => ModelBundle.Open(dir, TestProvider.NewFactory());

    private void Report(string what, double error) => output.WriteLine($"{what}: max abs error {error:E2}");

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-dynamic")]
    public void Text_encoder_matches_torch_for_the_tokenized_caption(string bundleName)
    {
        using var bundle = Open(Path.Combine(RepoPaths.Fixtures, bundleName));
        var ids = bundle.Tokenizer.Encode("a photo of a cat");
        Assert.Equal(Npy.Golden("text_ids.npy").Longs().Select(i => (int)i), ids);
        var hidden = bundle.TextEncoder.Encode(ids, 1);
        Assert.Equal(new[] { 1, 77, 32 }, hidden.Dimensions.ToArray());
        Report(
            $"{bundleName} text encoder",
            TensorAssert.Close(
                hidden.Buffer.Span,
                Npy.Golden("text_hidden.npy").Floats(),
                Tolerance,
                "last_hidden_state"
            )
        );
    }

    [Fact]
    public void Static_unet_with_int64_timestep_matches_torch()
    {
        using var bundle = Open(RepoPaths.TinySd);
        Assert.Equal(TensorElementType.Int64, bundle.Unet.TimestepType);
        Assert.Equal(2, bundle.Unet.FixedBatch);
        var t = Npy.Golden("unet_timestep.npy").Longs()[0];
        var result = bundle.Unet.PredictNoise(
            Npy.Golden("unet_sample.npy").Tensor(),
            t,
            Npy.Golden("unet_ehs.npy").Tensor()
        );
        Report(
            "static unet",
            TensorAssert.Close(result.Buffer.Span, Npy.Golden("unet_out.npy").Floats(), Tolerance, "out_sample")
        );
    }

    [Fact]
    public void Static_batch_two_unet_runs_a_single_row_by_padding_the_batch()
    {
        using var bundle = Open(RepoPaths.TinySd);
        var sample = Npy.Golden("unet_sample.npy").Floats();
        var context = Npy.Golden("unet_ehs.npy").Floats();
        var row = sample.Length / 2;
        var result = bundle.Unet.PredictNoise(
            new DenseTensor<float>(sample[row..], [1, 4, 16, 16]),
            981,
            new DenseTensor<float>(context[(context.Length / 2)..], [1, 77, 32])
        );
        Assert.Equal(new[] { 1, 4, 16, 16 }, result.Dimensions.ToArray());
        TensorAssert.Close(result.Buffer.Span, Npy.Golden("unet_out.npy").Floats()[row..], Tolerance, "row 1 alone");
    }

    [Fact]
    public void Dynamic_unet_with_float_timestep_matches_torch_at_batch_one()
    {
        using var bundle = Open(RepoPaths.TinySdDynamic);
        Assert.Equal(TensorElementType.Float, bundle.Unet.TimestepType);
        Assert.Null(bundle.Unet.FixedBatch);
        Assert.Equal(16, bundle.LatentSize);
        var t = Npy.Golden("unet_dyn_timestep_b1.npy").Floats()[0];
        var result = bundle.Unet.PredictNoise(
            Npy.Golden("unet_dyn_sample_b1.npy").Tensor(),
            t,
            Npy.Golden("unet_dyn_ehs_b1.npy").Tensor()
        );
        Report(
            "dynamic unet",
            TensorAssert.Close(result.Buffer.Span, Npy.Golden("unet_dyn_out_b1.npy").Floats(), Tolerance, "out_sample")
        );
    }

    [Theory]
    [InlineData("tiny-sd", true)]
    [InlineData("tiny-sd-dynamic", false)]
    public void Vae_encoder_returns_the_deterministic_posterior_mean(string bundleName, bool exportSamples)
    {
        using var bundle = Open(Path.Combine(RepoPaths.Fixtures, bundleName));
        var image = Npy.Golden("vae_image.npy").Tensor();
        var first = bundle.VaeEncoder.EncodeMean(image);
        var second = bundle.VaeEncoder.EncodeMean(image);
        Assert.Equal(exportSamples, bundle.VaeEncoder.RewrittenFromSampling);
        Assert.Equal(first.Buffer.ToArray(), second.Buffer.ToArray());
        Report(
            $"{bundleName} vae encoder mean",
            TensorAssert.Close(
                first.Buffer.Span,
                Npy.Golden("vae_posterior_mean.npy").Floats(),
                Tolerance,
                "posterior mean"
            )
        );
    }

    [Theory]
    [InlineData("tiny-sd")]
    [InlineData("tiny-sd-dynamic")]
    public void Vae_decoder_matches_torch(string bundleName)
    {
        using var bundle = Open(Path.Combine(RepoPaths.Fixtures, bundleName));
        var decoded = new LatentCodec(bundle).DecodeRaw(Npy.Golden("vae_latent.npy").Tensor());
        Assert.Equal(new[] { 1, 3, 128, 128 }, decoded.Dimensions.ToArray());
        Report(
            $"{bundleName} vae decoder",
            TensorAssert.Close(decoded.Buffer.Span, Npy.Golden("vae_decoded.npy").Floats(), Tolerance, "decoded image")
        );
    }

    [Fact]
    public void Encoding_a_model_sized_image_gives_the_scaled_posterior_mean()
    {
        using var bundle = Open(RepoPaths.TinySd);
        var pixels = Npy.Golden("vae_image.npy").Floats();
        // The golden image is already in [-1,1]; round-trip it through pixels (≤ 1/255 quantisation) first.
        using var image = ImageTensor.FromModelOutput(pixels, 128, 128);
        var z0 = new LatentCodec(bundle).Encode(image);
        var quantised = ImageTensor.ToModelInput(image);
        var expected = bundle.VaeEncoder.EncodeMean(quantised).Buffer.ToArray().Select(v => v * 0.18215f).ToArray();
        TensorAssert.Close(z0.Buffer.Span, expected, 1e-6, "z0");
        Report(
            "z0 vs golden latent (pixel quantised input)",
            TensorAssert.MaxAbsDiff(z0.Buffer.Span, Npy.Golden("vae_latent.npy").Floats())
        );
    }

    [Fact]
    public void Bundle_reports_sd_conventions_read_from_its_files()
    {
        using var bundle = Open(RepoPaths.TinySd);
        Assert.Equal(0.18215f, bundle.ScalingFactor);
        Assert.Equal(128, bundle.ImageSize);
        Assert.Equal(4, bundle.LatentChannels);
        Assert.Equal(1, bundle.SchedulerConfig.StepsOffset);
    }
}
