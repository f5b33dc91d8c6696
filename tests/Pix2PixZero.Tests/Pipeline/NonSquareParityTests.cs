using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>
/// The UNet, the attention probe and the guidance graph as the pipeline runs them for a non-square photo (sessions
/// with a 16×24 latent fixed, the guidance pair one row at a time) match PyTorch at that latent
/// (<c>/usr/bin/python3 tests/fixtures/aspect/generate.py</c>, <c>tests/fixtures/aspect/index.json</c>).
/// </summary>
public sealed class NonSquareParityTests(ITestOutputHelper output) : IDisposable
{
    private const float Timestep = 501f;
    private readonly ModelBundle _bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
    private Pix2PixZeroPipeline? _pipeline;

    private Pix2PixZeroPipeline Pipeline => _pipeline ??= new Pix2PixZeroPipeline(_bundle);

    public void Dispose()
    {
        _pipeline?.Dispose();
        _bundle.Dispose();
    }

    private static Npy.Array Golden(string name) => Npy.Read(Path.Combine(RepoPaths.Fixtures, "aspect", name + ".npy"));

    private static DenseTensor<float> Context() => Npy.Golden("guid_ehs.npy").Tensor();

    [Fact]
    public void The_noise_prediction_and_the_cross_attention_maps_at_16_by_24_match_torch()
    {
        var sample = Golden("unet_sample").Tensor();
        Assert.Equal([2, 4, 16, 24], sample.Dimensions.ToArray());
        using var graphs = Pipeline.Sessions.Graphs(16, 24);

        var (noise, maps) = graphs.AttentionProbe.Run(sample, Timestep, Context());
        var error = TensorAssert.Close(noise.Buffer.Span, Golden("unet_out").Floats(), 1e-4, "the probe's noise");
        var plain = _bundle.Unet.PredictNoise(sample, Timestep, Context());
        var plainError = TensorAssert.Close(plain.Buffer.Span, Golden("unet_out").Floats(), 1e-4, "the UNet's noise");
        output.WriteLine($"noise at 16×24: probe {error:E2}, plain UNet {plainError:E2} max abs error");

        var worst = WorstStatistic(maps, Golden("attn_stats").Doubles());
        output.WriteLine($"attention-map statistics, worst relative error {worst:E2}");
        Assert.True(worst <= 1e-4, $"worst relative error of the map statistics {worst:E2}");
    }

    [Fact]
    public void The_guidance_loss_and_gradient_at_16_by_24_match_torch_autograd()
    {
        using var graphs = Pipeline.Sessions.Graphs(16, 24);
        var (_, references) = graphs.AttentionProbe.Run(Golden("guid_ref_sample").Tensor(), Timestep, Context());
        var sample = Golden("guid_sample").Tensor();
        var (_, maps) = graphs.AttentionProbe.Run(sample, Timestep, Context());
        Assert.True(WorstStatistic(maps, Golden("guid_attn_stats").Doubles()) <= 1e-4);

        var (loss, gradient) = graphs.Guidance.LossAndGradient(sample, Timestep, Context(), references);

        var goldenLoss = Golden("guid_loss").Doubles()[0];
        var goldenGrad = Golden("guid_grad_sample").Doubles();
        var lossError = Math.Abs(loss - goldenLoss) / Math.Abs(goldenLoss);
        var grad = gradient.Buffer.Span.ToArray();
        var gradError = goldenGrad.Select((g, i) => Math.Abs(g - grad[i])).Max() / goldenGrad.Max(Math.Abs);
        output.WriteLine(
            $"loss {loss:R} vs {goldenLoss:R} (rel {lossError:E2}); gradient error / max |grad| {gradError:E2}"
        );
        Assert.Equal([2, 4, 16, 24], gradient.Dimensions.ToArray());
        Assert.True(lossError <= 1e-4, $"loss relative error {lossError:E2}");
        Assert.True(gradError <= 1e-4, $"gradient relative error {gradError:E2}");
    }

    private static double WorstStatistic(DenseTensor<float>[] maps, double[] stats)
    {
        Assert.Equal(16, maps.Length);
        double worst = 0;
        for (var i = 0; i < maps.Length; i++)
        {
            var a = maps[i].Buffer.Span.ToArray();
            var measured = new[] { a.Sum(v => (double)v), a.Sum(v => (double)v * v), a[0] };
            for (var k = 0; k < 3; k++)
            {
                var golden = stats[i * 3 + k];
                worst = Math.Max(worst, Math.Abs(measured[k] - golden) / Math.Max(Math.Abs(golden), 1e-3));
            }
        }
        return worst;
    }
}
