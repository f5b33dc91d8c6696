using System.Diagnostics;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Inversion;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// <c>bench guidance</c>: what cross-attention guidance costs on a UNet. Compiles the guidance graphs afresh, then
/// times one CFG-batch UNet forward (the attention probe asked for the noise alone, as the edit runs it), one
/// attention-probe run and one guidance run (loss and ∂loss/∂sample, as the edit runs it), each the median of
/// several interleaved runs after a warm-up, with each first run's time and peak memory apart; the guidance/forward
/// ratio is the figure to watch (target ≤ 2.0; README's Performance says where the time goes). With a profile
/// folder, a per-op-type table of both follows (<see cref="GuidanceProfile"/>).
/// </summary>
public static class GuidanceBenchmark
{
    public const double TargetRatio = 2.0;

    public static void Run(
        string modelDirectory,
        ExecutionProvider provider,
        int runs,
        int? imageSize,
        TextWriter output,
        string? profileFolder = null
    )
    {
        using var bundle = ModelBundle.Open(modelDirectory, CudaEnvironment.Factory(provider));
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        var side = imageSize ?? bundle.ImageSize;
        var square = bundle.ProcessingSize(new PixelSize(side, side), imageSize, "--size");
        var compiled = pipeline.Sessions.Prepare(force: true);
        var compilePeak = PeakMemory.ResidentMiB();

        var size = new UnetProbeSize(
            2,
            square.Height / bundle.VaeScale,
            square.Width / bundle.VaeScale,
            pipeline.Prompts.SequenceLength
        );
        var sample = Noise([size.Batch, bundle.LatentChannels, size.LatentHeight, size.LatentWidth], seed: 1);
        var other = Noise(sample.Dimensions.ToArray(), seed: 2);
        var text = pipeline.Prompts.Encode("a photo of a cat");
        var context = new DenseTensor<float>(
            Enumerable.Repeat(text, size.Batch).SelectMany(row => row).ToArray(),
            [size.Batch, pipeline.Prompts.SequenceLength, text.Length / pipeline.Prompts.SequenceLength]
        );
        const int timestep = 501;
        // The forward is the UNet's noise prediction as an edit runs it (the attention probe asked for the noise
        // alone), so the figures are those of one process holding the weights once.
        // The sessions, created before any clock starts.
        using var graphs = pipeline.Sessions.Graphs(size.LatentHeight, size.LatentWidth);
        // Each first run's peak on its own where the peak can be reset (Linux), else the peak so far.
        var perRun = PeakMemory.Reset();
        var clock = Stopwatch.StartNew();
        graphs.NoisePredictor.PredictNoise(sample, timestep, context);
        var (forwardFirst, forwardPeak) = (clock.Elapsed.TotalMilliseconds, PeakMemory.ResidentMiB());
        PeakMemory.Reset();
        clock.Restart();
        var (_, references) = graphs.AttentionProbe.Run(other, timestep, context);
        var (probeFirst, probePeak) = (clock.Elapsed.TotalMilliseconds, PeakMemory.ResidentMiB());
        PeakMemory.Reset();
        clock.Restart();
        graphs.Guidance.LossAndGradient(sample, timestep, context, references);
        var (guidanceFirst, guidancePeak) = (clock.Elapsed.TotalMilliseconds, PeakMemory.ResidentMiB());

        // Interleaved, so a change in the machine's load shifts all three alike and the ratio stays meaningful.
        var (forward, probe, guidance) = Medians(
            runs,
            () => graphs.NoisePredictor.PredictNoise(sample, timestep, context),
            () => graphs.AttentionProbe.Run(sample, timestep, context),
            () => graphs.Guidance.LossAndGradient(sample, timestep, context, references)
        );

        var t = compiled.Timings;
        output.WriteLine($"model {bundle.Directory}");
        output.WriteLine(
            $"provider {bundle.Sessions.ActiveProvider}, sample [{string.Join(",", sample.Dimensions.ToArray())}], "
                + $"{compiled.Layers.Count} cross-attention layers, median of {runs} runs after a warm-up"
        );
        if (graphs.Guidance.RowsPerRun is { } rows)
            output.WriteLine(
                $"the guidance graph runs the batch {rows} row{(rows == 1 ? "" : "s")} at a time, as an edit does"
            );
        output.WriteLine(
            $"{"compile", -10} {t.Total.TotalMilliseconds, 10:F1} ms  "
                + $"(hash {t.Hash.TotalMilliseconds:F0}, load {t.Load.TotalMilliseconds:F0}, "
                + $"shapes {t.MeasureShapes.TotalMilliseconds:F0}, locate {t.Locate.TotalMilliseconds:F0}, "
                + $"build {t.Build.TotalMilliseconds:F0}, save {t.Save.TotalMilliseconds:F0})"
        );
        output.WriteLine($"{"forward", -10} {forward, 10:F1} ms  (first run {forwardFirst:F1} ms)");
        output.WriteLine($"{"probe", -10} {probe, 10:F1} ms  (first run {probeFirst:F1} ms)");
        output.WriteLine($"{"guidance", -10} {guidance, 10:F1} ms  (first run {guidanceFirst:F1} ms)");
        output.WriteLine($"ratio guidance/forward {guidance / forward:F2} (target ≤ {TargetRatio})");
        output.WriteLine(
            $"peak RSS {(perRun ? "of each first run" : "so far")}: "
                + $"compile {compilePeak:F0} MiB, forward {forwardPeak:F0} MiB, "
                + $"probe {probePeak:F0} MiB, guidance {guidancePeak:F0} MiB "
                + $"(guidance/forward {guidancePeak / forwardPeak:F2})"
        );
        if (profileFolder is null)
            return;
        var (forwardOps, guidanceOps) = GuidanceProfile.Run(
            modelDirectory,
            provider,
            profileFolder,
            runs,
            sample,
            timestep,
            context,
            references
        );
        GuidanceProfile.Write(output, profileFolder, forwardOps, guidanceOps);
    }

    private static DenseTensor<float> Noise(int[] shape, ulong seed)
    {
        var tensor = new DenseTensor<float>(shape);
        SeededGaussian.Fill(tensor.Buffer.Span, seed);
        return tensor;
    }

    private static (double, double, double) Medians(int runs, params Action[] graphs)
    {
        foreach (var run in graphs)
            run();
        var times = graphs.Select(_ => new double[runs]).ToArray();
        for (var i = 0; i < runs; i++)
        {
            for (var g = 0; g < graphs.Length; g++)
            {
                var clock = Stopwatch.StartNew();
                graphs[g]();
                times[g][i] = clock.Elapsed.TotalMilliseconds;
            }
        }
        foreach (var t in times)
            Array.Sort(t);
        return (times[0][runs / 2], times[1][runs / 2], times[2][runs / 2]);
    }
}
