using System.Text.Json;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>The tiny static model bundle and its compiled guidance graphs, shared by the method parity tests.</summary>
public sealed class TinyPipelineFixture : IDisposable
{
    public TinyPipelineFixture()
    {
        Bundle = ModelBundle.Open(RepoPaths.TinySd, TestProvider.NewFactory());
        Pipeline = new Pix2PixZeroPipeline(Bundle);
        Graphs = Pipeline.Sessions.Graphs(Bundle.LatentSize, Bundle.LatentSize);
        Editor = Pipeline.CreateEditor(Graphs);
    }

    /// <summary>The static UNet's one shape, held for the class.</summary>
    public LatentGraphs Graphs { get; }

    public ModelBundle Bundle { get; }

    public Pix2PixZeroPipeline Pipeline { get; }

    public CrossAttentionGuidedEditor Editor { get; }

    public void Dispose()
    {
        Graphs.Dispose();
        Pipeline.Dispose();
        Bundle.Dispose();
    }
}

/// <summary>
/// The C# pipeline against the independent PyTorch implementation of the whole method
/// (<c>/usr/bin/python3 tests/fixtures/generate.py</c>, protocol in <c>tests/fixtures/method/index.json</c>):
/// every step started from the golden previous state within 1e-4; whole 50-step runs within 1e-3 on latents and
/// 1/255 per pixel on average for the final image.
/// </summary>
public class MethodParityTests(TinyPipelineFixture tiny, ITestOutputHelper output) : IClassFixture<TinyPipelineFixture>
{
    private const double StepTolerance = 1e-4;
    private const double RunTolerance = 1e-3;
    private const string Caption = "a cat sitting next to a mirror";
    private static readonly int[] LatentShape = [1, 4, 16, 16];

    private static Npy.Array Method(string name) => Npy.Read(Path.Combine(RepoPaths.Fixtures, "method", name));

    private static float[] Step(Npy.Array stacked, int index)
    {
        var size = stacked.Shape[1..].Aggregate(1, (a, b) => a * b);
        return stacked.Floats()[(index * size)..((index + 1) * size)];
    }

    private static DenseTensor<float> Latent(float[] values) => new(values, LatentShape);

    private DenseTensor<float> CaptionBatch() => new(tiny.Pipeline.Prompts.Encode(Caption), [1, 77, 32]);

    private double Report(string what, double error)
    {
        output.WriteLine($"{what}: max abs error {error:E2}");
        return error;
    }

    private double Worst(string what, IEnumerable<double> errors)
    {
        var worst = errors.Max();
        output.WriteLine($"{what}: worst max abs error over steps {worst:E2}");
        return worst;
    }

    [Fact]
    public void Image_encoding_caption_and_direction_match_torch()
    {
        using var image = ImageCodec.Load(Path.Combine(RepoPaths.Fixtures, "method", "input_128.png"));
        Report(
            "z0",
            TensorAssert.Close(
                tiny.Pipeline.Latents.Encode(image).Buffer.Span,
                Method("z0.npy").Floats(),
                StepTolerance,
                "z0"
            )
        );
        Report(
            "caption embedding",
            TensorAssert.Close(
                tiny.Pipeline.Prompts.Encode(Caption),
                Method("caption_hidden.npy").Floats(),
                StepTolerance,
                "c"
            )
        );

        using var doc = JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepoPaths.Fixtures, "method", "sentences.json"))
        );
        WordMean Mean(string word) =>
            new WordEmbeddingAverager(tiny.Pipeline.Prompts).Average(
                EditWord.Parse(word),
                new SentenceSet(doc.RootElement.GetProperty(word).EnumerateArray().Select(s => s.GetString()!))
            );
        var delta = EditDirection.Between(Mean("cat"), Mean("dog"));
        Report(
            "Δ cat→dog",
            TensorAssert.Close(delta.Values.Span, Method("delta_cat2dog.npy").Floats(), StepTolerance, "Δ")
        );
        Assert.All(delta.Values.Span[..32].ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Each_inversion_step_from_the_golden_state_matches_torch()
    {
        var latents = Method("inversion_latents.npy");
        var raw = Method("inversion_eps_raw.npy");
        var regularized = Method("inversion_eps.npy");
        var plan = tiny.Pipeline.Scheduler.InversionSteps(50, InversionConvention.Aligned);
        var regularizer = new NoiseRegularizer();
        var rolls = new SeededRolls(7);
        var context = CaptionBatch();
        var previous = Method("z0.npy").Floats();
        List<double> rawErrors = [],
            regErrors = [],
            stepErrors = [];
        for (var i = 0; i < plan.Length; i++)
        {
            var unetNoise = tiny.Bundle.Unet.PredictNoise(Latent(previous), plan[i].Timestep, context).Buffer.ToArray();
            rawErrors.Add(TensorAssert.Close(unetNoise, Step(raw, i), StepTolerance, $"raw ε at step {i}"));
            var noise = Step(raw, i);
            regularizer.Apply(noise, 4, 16, 16, rolls);
            regErrors.Add(TensorAssert.Close(noise, Step(regularized, i), StepTolerance, $"regularized ε at step {i}"));
            var next = new float[previous.Length];
            DdimScheduler.InvertStep(plan[i], Step(regularized, i), previous, next);
            stepErrors.Add(TensorAssert.Close(next, Step(latents, i), StepTolerance, $"latent after step {i}"));
            previous = Step(latents, i);
        }
        Worst("inversion raw ε", rawErrors);
        Worst("inversion regularized ε", regErrors);
        Worst("inversion latent", stepErrors);
    }

    [Theory]
    [InlineData(InversionConvention.Aligned, "inversion_latents.npy", 50)]
    [InlineData(InversionConvention.Official, "inversion_official_latents.npy", 48)]
    public void A_whole_inversion_matches_torch(InversionConvention convention, string golden, int calls)
    {
        var observed = 0;
        var zT = tiny
            .Pipeline.CreateInversion(tiny.Graphs)
            .Invert(
                Latent(Method("z0.npy").Floats()),
                CaptionBatch(),
                50,
                convention,
                new NoiseRegularizer(),
                seed: 7,
                onStepEnd: _ => observed++
            );
        Assert.Equal(calls, observed);
        Report(
            $"{convention} z_T after {calls} steps",
            TensorAssert.Close(zT.Buffer.Span, Step(Method(golden), calls - 1), RunTolerance, "z_T")
        );
    }

    [Fact]
    public void Each_reference_and_edit_step_from_the_golden_state_matches_torch()
    {
        var (reference, edit) = EditContexts();
        var referenceLatents = Method("reference_latents.npy");
        var editLatents = Method("edit_latents.npy");
        var losses = Method("edit_loss.npy").Floats();
        var gradients = Method("edit_grad.npy");
        var guided = Method("edit_x2_guided.npy");
        var timesteps = tiny.Pipeline.Scheduler.Timesteps(50);
        var zT = Step(Method("inversion_latents.npy"), 49);
        float[] referencePrevious = zT,
            editPrevious = zT;
        List<double> refErrors = [],
            lossErrors = [],
            gradErrors = [],
            guidedErrors = [],
            editErrors = [];
        for (var i = 0; i < timesteps.Length; i++)
        {
            var (nextReference, maps) = tiny.Editor.ReferenceStep(
                Latent(referencePrevious),
                timesteps[i],
                50,
                reference,
                5f
            );
            refErrors.Add(
                TensorAssert.Close(
                    nextReference.Buffer.Span,
                    Step(referenceLatents, i),
                    StepTolerance,
                    $"reference latent at step {i}"
                )
            );
            var state = tiny.Editor.EditStep(Latent(editPrevious), timesteps[i], 50, edit, maps, 5f, 0.1f);
            lossErrors.Add(Math.Abs(state.Loss - losses[i]) / Math.Max(1, Math.Abs(losses[i])));
            var gradScale = Math.Max(1, TensorAssert.MaxAbs(Step(gradients, i)));
            gradErrors.Add(TensorAssert.MaxAbsDiff(state.Gradient, Step(gradients, i)) / gradScale);
            guidedErrors.Add(
                TensorAssert.Close(state.GuidedSample, Step(guided, i), StepTolerance, $"x2' at step {i}")
            );
            editErrors.Add(
                TensorAssert.Close(state.Latent, Step(editLatents, i), StepTolerance, $"edit latent at step {i}")
            );
            referencePrevious = Step(referenceLatents, i);
            editPrevious = Step(editLatents, i);
        }
        Assert.True(Worst("reference latent", refErrors) <= StepTolerance);
        Assert.True(Worst("edit loss (relative)", lossErrors) <= StepTolerance);
        Assert.True(Worst("edit ∂L/∂x2 (relative to max |g|)", gradErrors) <= StepTolerance);
        Worst("edit x2'", guidedErrors);
        Worst("edit latent", editErrors);
    }

    [Fact]
    public void A_whole_fifty_step_edit_matches_torch_latents_and_pixels()
    {
        var (_, edit) = EditContexts();
        var zT = Latent(Step(Method("inversion_latents.npy"), 49));
        var caption = tiny.Pipeline.Prompts.Encode(Caption);
        var text = new EditConditioning(caption, caption, [edit.Buffer.Span[(77 * 32)..].ToArray()], [77, 32]);
        float[]? finalReference = null;
        var result = tiny.Editor.Edit(zT, text, 50, 5f, 0.1f, onStepEnd: s => finalReference = s.ReferenceLatent)[0];
        Report(
            "reference z_0 after 50 steps",
            TensorAssert.Close(finalReference!, Step(Method("reference_latents.npy"), 49), RunTolerance, "reference")
        );
        Report(
            "edited z_0 after 50 steps",
            TensorAssert.Close(result.Buffer.Span, Step(Method("edit_latents.npy"), 49), RunTolerance, "edit")
        );

        using var image = tiny.Pipeline.Latents.Decode(result);
        using var golden = ImageCodec.Load(Path.Combine(RepoPaths.Fixtures, "method", "edit_image.png"));
        var meanPixelError = MeanPixelError(image, golden);
        output.WriteLine($"final image: mean abs pixel error {meanPixelError:F4} (of 255)");
        Assert.True(meanPixelError <= 1.0, $"mean abs pixel error {meanPixelError:F3} exceeds 1/255");
    }

    [Fact]
    public void Synthetic_mode_matches_torch_from_the_seeded_noise()
    {
        var zT = new float[4 * 16 * 16];
        SeededGaussian.Fill(zT, 3);
        Assert.Equal(Method("synthetic_zT.npy").Floats(), zT);
        var negative = tiny.Pipeline.Prompts.Encode("");
        var positive = tiny.Pipeline.Prompts.Encode("a photo of a cat");
        var delta = Method("delta_cat2dog.npy").Floats();
        var edited = positive.Select((v, i) => v + delta[i]).ToArray();
        var latents = tiny.Editor.Edit(
            Latent(zT),
            new EditConditioning(negative, positive, [edited], [77, 32]),
            10,
            5f,
            0.15f
        );
        Report(
            "synthetic edit z_0 after 10 steps",
            TensorAssert.Close(
                latents[0].Buffer.Span,
                Step(Method("synthetic_edit_latents.npy"), 9),
                RunTolerance,
                "synthetic edit"
            )
        );
        var raw = tiny.Pipeline.Latents.DecodeRaw(latents[0]);
        Report(
            "synthetic decoded image",
            TensorAssert.Close(
                raw.Buffer.Span,
                Method("synthetic_edit_image_raw.npy").Floats(),
                1e-2,
                "synthetic image"
            )
        );
    }

    /// <summary>[c_neg, c] and [c_neg, c + Δ] with the caption as the negative prompt (real-image mode).</summary>
    private (DenseTensor<float> Reference, DenseTensor<float> Edit) EditContexts()
    {
        var c = tiny.Pipeline.Prompts.Encode(Caption);
        var delta = Method("delta_cat2dog.npy").Floats();
        var cEdit = c.Select((v, i) => v + delta[i]).ToArray();
        return (
            new DenseTensor<float>(c.Concat(c).ToArray(), [2, 77, 32]),
            new DenseTensor<float>(c.Concat(cEdit).ToArray(), [2, 77, 32])
        );
    }

    private static double MeanPixelError(
        SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> a,
        SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24> b
    )
    {
        Assert.Equal((a.Width, a.Height), (b.Width, b.Height));
        double sum = 0;
        for (var y = 0; y < a.Height; y++)
        for (var x = 0; x < a.Width; x++)
            sum += Math.Abs(a[x, y].R - b[x, y].R) + Math.Abs(a[x, y].G - b[x, y].G) + Math.Abs(a[x, y].B - b[x, y].B);
        return sum / (3.0 * a.Width * a.Height);
    }
}
