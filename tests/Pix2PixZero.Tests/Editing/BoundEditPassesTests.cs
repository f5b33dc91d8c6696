using System.Diagnostics.Metrics;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Editing;

/// <summary>
/// The tiny bundles' graphs run the lockstep loop through bound buffers (the static bundle's pair at once, the dynamic
/// and fp16 bundles' guidance one row at a time), with the same figures as the managed path.
/// </summary>
[Collection(RunAlone.Name)]
public sealed class BoundEditPassesTests
{
    private const int Steps = 3;

    public static TheoryData<string, int> Bundles =>
        new()
        {
            { RepoPaths.TinySd, 2 },
            { RepoPaths.TinySdDynamic, 1 },
            { Path.Combine(RepoPaths.Fixtures, "tiny-sd-fp16"), 1 },
        };

    [Theory]
    [MemberData(nameof(Bundles))]
    public void The_tiny_bundles_edit_through_bound_buffers_as_the_managed_path_does(string folder, int rowsPerRun)
    {
        using var bundle = ModelBundle.Open(folder, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        using var graphs = pipeline.Sessions.Graphs(Side(bundle), Side(bundle));
        var (zT, text) = Inputs(bundle, graphs);
        Assert.True(BoundEditPasses.Supports(graphs.AttentionProbe, graphs.Guidance, graphs.NoisePredictor));
        Assert.Equal(rowsPerRun, Math.Min(graphs.Guidance.RowsPerRun ?? 2, 2));

        var bound = Edit(pipeline.CreateEditor(graphs), zT, text);
        // The probe's noise through another object is not the probe's own binding: the managed path.
        var managedEditor = new CrossAttentionGuidedEditor(
            graphs.AttentionProbe,
            graphs.Guidance,
            new NoiseOf(graphs.AttentionProbe),
            pipeline.Scheduler
        );
        var managed = Edit(managedEditor, zT, text);

        foreach (var (b, m) in bound.Zip(managed))
        {
            Assert.Equal(m.Loss, b.Loss, 1e-5f * Math.Abs(m.Loss) + 1e-6f);
            Assert.True(
                TensorAssert.MaxAbsDiff(b.Gradient, m.Gradient) <= 1e-6 * Math.Max(1, TensorAssert.MaxAbs(m.Gradient))
            );
            Assert.True(TensorAssert.MaxAbsDiff(b.Latent, m.Latent) <= 1e-5);
        }
    }

    [Fact]
    public void Bound_runs_are_timed_as_runs_of_their_graph_with_the_outputs_and_batch_asked()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySdDynamic, TestProvider.NewFactory());
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        using var graphs = pipeline.Sessions.Graphs(Side(bundle), Side(bundle));
        var (zT, text) = Inputs(bundle, graphs);
        var runs = new List<(string Graph, string Outputs, long Batch)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument is { Meter.Name: OnnxModel.MeterName, Name: OnnxModel.RunDurationName })
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>(
            (_, _, tags, _) =>
            {
                var t = tags.ToArray().ToDictionary(p => p.Key, p => p.Value);
                lock (runs)
                    runs.Add(((string)t["graph"]!, (string)t["outputs"]!, (long)t["batch"]!));
            }
        );
        listener.Start();

        Edit(pipeline.CreateEditor(graphs), zT, text);

        var maps = graphs.AttentionProbe.LayerCount + 1;
        // Per step one probe run for the maps, one for the edit's noise, and the guidance's two rows; once, the run
        // at zeros that measures the maps' shapes.
        Assert.Equal(Steps, runs.Count(r => r == ("attention probe", $"{maps} outputs", 2L)));
        Assert.Equal(1, runs.Count(r => r == ("attention probe", $"{maps} outputs", 1L)));
        Assert.Equal(Steps, runs.Count(r => r == ("attention probe", "out_sample", 2L)));
        Assert.Equal(2 * Steps, runs.Count(r => r == ("guidance", "2 outputs", 1L)));
        Assert.Equal(4 * Steps + 1, runs.Count);
    }

    private static EditStepState[] Edit(CrossAttentionGuidedEditor editor, DenseTensor<float> zT, EditConditioning text)
    {
        var states = new List<EditStepState>();
        editor.Edit(zT, text, Steps, 5f, 0.1f, step => states.AddRange(step.Edits));
        return [.. states];
    }

    private static (DenseTensor<float> ZT, EditConditioning Text) Inputs(ModelBundle bundle, LatentGraphs graphs)
    {
        var random = new Random(3);
        var side = Side(bundle);
        var tokens = bundle.TextEncoder.SequenceLength;
        var width = graphs.AttentionProbe.Inputs["encoder_hidden_states"].Dimensions[2];
        float[] Values(int count) =>
            Enumerable.Range(0, count).Select(_ => (float)random.NextDouble() * 2 - 1).ToArray();
        var zT = new DenseTensor<float>(Values(4 * side * side), new[] { 1, 4, side, side });
        return (
            zT,
            new EditConditioning(
                Values(tokens * width),
                Values(tokens * width),
                [Values(tokens * width)],
                [tokens, width]
            )
        );
    }

    // The static bundle's one size; a small one for the dynamic bundles.
    private static int Side(ModelBundle bundle) => bundle.UnetSignature.FixedLatentSize?.Height ?? 16;

    private sealed class NoiseOf(AttentionProbe probe) : INoisePredictor
    {
        public DenseTensor<float> PredictNoise(
            DenseTensor<float> sample,
            float timestep,
            DenseTensor<float> encoderHiddenStates
        ) => probe.PredictNoise(sample, timestep, encoderHiddenStates);
    }
}
