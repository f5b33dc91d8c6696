using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>
/// An fp16 UNet bundle (<c>tests/fixtures/tiny-sd-fp16</c>: tiny-sd-dynamic's UNet with fp16 weights, activations and
/// inputs, made by <c>/usr/bin/python3 tests/fixtures/generate_tiny_fp16.py</c>; every other file is tiny-sd-dynamic's)
/// edits a photo end to end, within a stated bound of the same edit on the fp32 bundle. The compiled graphs read the
/// fp16 forward values in fp32: the loss of the attention maps, the whole reverse pass and the recomputed
/// self-attention probabilities run in fp32, so what differs from fp32 is the forward's fp16 rounding.
/// <para>
/// The bounds (README, "Model folders") are about three times what ONNX Runtime 1.31 gave on this project's CPU,
/// where kernels without an fp16 implementation compute in fp32 between fp16 tensors: a 50-step photo edit moved z_T
/// by 0.033, the edited z_0 by 0.35 (1.5% of its largest value, 23: the random network amplifies every rounding step
/// after step, as it does fp32's by 7e-4 against float64) and the picture by at most 6 and on average 0.45 levels of
/// 255; one guidance run's loss by 2.8e-4 relative and its gradient by 4.4e-3 of its largest value. A GPU computes in
/// fp16 throughout (scripts/gpu-check.sh runs this test there).
/// </para>
/// </summary>
public sealed class Fp16ParityTests(ITestOutputHelper output)
{
    private const string Caption = "a cat sitting next to a mirror";
    private const int Steps = 50;
    private const double InvertedBound = 0.1;
    private const double EditedRelativeBound = 0.05;
    private const int MaxPixelBound = 20;
    private const double MeanPixelBound = 1.5;
    private const double LossRelativeBound = 1e-3;
    private const double GradientRelativeBound = 1.5e-2;

    private sealed record Edit(float[] InvertedLatent, float[] EditedLatent, Image<Rgb24> Picture) : IDisposable
    {
        public void Dispose() => Picture.Dispose();
    }

    [Fact]
    public void A_fifty_step_photo_edit_with_an_fp16_unet_stays_within_the_stated_bound_of_the_fp32_edit()
    {
        using var fp32 = EditPhoto(RepoPaths.TinySdDynamic);
        using var fp16 = EditPhoto(Path.Combine(RepoPaths.Fixtures, "tiny-sd-fp16"));

        var inverted = TensorAssert.MaxAbsDiff(fp16.InvertedLatent, fp32.InvertedLatent);
        var edited =
            TensorAssert.MaxAbsDiff(fp16.EditedLatent, fp32.EditedLatent) / TensorAssert.MaxAbs(fp32.EditedLatent);
        var (maxPixel, meanPixel) = PixelErrors(fp16.Picture, fp32.Picture);
        output.WriteLine(
            $"fp16 against fp32 after {Steps} steps: z_T {inverted:E2}, edited z_0 {edited:E2} of its largest "
                + $"value {TensorAssert.MaxAbs(fp32.EditedLatent):F2}, picture max {maxPixel} / mean {meanPixel:F3} "
                + "levels of 255"
        );
        Assert.True(inverted <= InvertedBound, $"z_T differs by {inverted:E2}, over {InvertedBound}");
        Assert.True(edited <= EditedRelativeBound, $"the edited z_0 differs by {edited:P1} of its largest value");
        Assert.True(maxPixel <= MaxPixelBound, $"a pixel differs by {maxPixel} levels, over {MaxPixelBound}");
        Assert.True(meanPixel <= MeanPixelBound, $"pixels differ by {meanPixel:F3} levels on average");
        // The bound is not vacuous: the edit moved the picture away from the photo by far more than fp16 did.
        using var photo = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        photo.Mutate(p => p.Resize(fp32.Picture.Width, fp32.Picture.Height));
        Assert.True(PixelErrors(fp32.Picture, photo).Mean > 10 * meanPixel);
    }

    [Fact]
    public void The_fp16_guidance_graph_gives_the_fp32_loss_and_gradient_within_the_bound()
    {
        using var fp32 = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var fp16 = ModelBundle.Open(Path.Combine(RepoPaths.Fixtures, "tiny-sd-fp16"), TestProvider.NewFactory());
        var sample = Npy.Golden("guid_sample.npy").Tensor();
        var reference = Npy.Golden("guid_ref_sample.npy").Tensor();
        var context = Npy.Golden("guid_ehs.npy").Tensor();
        const float timestep = 501f;

        (float Loss, DenseTensor<float> Gradient) Guidance(ModelBundle bundle)
        {
            using var pipeline = new Pix2PixZeroPipeline(bundle);
            using var graphs = pipeline.Sessions.Graphs(16, 16);
            var (_, maps) = graphs.AttentionProbe.Run(reference, timestep, context);
            return graphs.Guidance.LossAndGradient(sample, timestep, context, maps);
        }
        var (loss32, gradient32) = Guidance(fp32);
        var (loss16, gradient16) = Guidance(fp16);

        var lossError = Math.Abs(loss16 - loss32) / Math.Abs(loss32);
        var gradientError =
            TensorAssert.MaxAbsDiff(gradient16.Buffer.Span, gradient32.Buffer.Span)
            / TensorAssert.MaxAbs(gradient32.Buffer.Span);
        output.WriteLine(
            $"fp16 guidance against fp32: loss {loss16} vs {loss32} (relative {lossError:E2}), "
                + $"gradient {gradientError:E2} of max |grad| {TensorAssert.MaxAbs(gradient32.Buffer.Span):E2}"
        );
        Assert.True(loss32 > 0.1, $"loss {loss32}: the maps must differ for the comparison to mean anything");
        Assert.True(lossError <= LossRelativeBound, $"loss differs by {lossError:E2} relative");
        Assert.True(gradientError <= GradientRelativeBound, $"gradient differs by {gradientError:E2} of its largest");
    }

    private static Edit EditPhoto(string bundlePath)
    {
        using var bundle = ModelBundle.Open(bundlePath, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        using var image = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        var inverted = pipeline.Invert(image, Caption, new MethodParameters { Steps = Steps });
        var caption = pipeline.Prompts.Encode(Caption);
        var delta = Npy.Read(Path.Combine(RepoPaths.Fixtures, "method", "delta_cat2dog.npy")).Floats();
        var text = new EditConditioning(
            caption,
            caption,
            [caption.Select((v, i) => v + delta[i]).ToArray()],
            [77, caption.Length / 77]
        );
        var latent = inverted.Latent;
        using var graphs = pipeline.Sessions.Graphs(latent.Dimensions[2], latent.Dimensions[3]);
        var edited = pipeline.CreateEditor(graphs).Edit(latent, text, Steps, 5f, 0.1f)[0];
        return new Edit(latent.Buffer.ToArray(), edited.Buffer.ToArray(), pipeline.Latents.Decode(edited));
    }

    private static (int Max, double Mean) PixelErrors(Image<Rgb24> a, Image<Rgb24> b)
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        var (max, sum) = (0, 0L);
        for (var y = 0; y < a.Height; y++)
        for (var x = 0; x < a.Width; x++)
            foreach (var d in new[] { a[x, y].R - b[x, y].R, a[x, y].G - b[x, y].G, a[x, y].B - b[x, y].B })
            {
                max = Math.Max(max, Math.Abs(d));
                sum += Math.Abs(d);
            }
        return (max, sum / (3.0 * a.Width * a.Height));
    }
}
