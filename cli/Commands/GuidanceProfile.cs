using System.Globalization;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// <c>bench guidance --profile FOLDER</c>: where a forward's and a guidance run's time goes, by op type. The timed runs
/// stay unprofiled (profiling slows every kernel); afterwards a second set of sessions, created with ONNX Runtime's
/// profiler on, runs the forward and the guidance graph once to warm up and then <c>runs</c> times each, and the
/// kernel times of the runs after the warm-up are summed by op type from the JSON traces the sessions write into the
/// folder. The op types are the kernels ONNX Runtime ran, after its fusions.
/// </summary>
public static class GuidanceProfile
{
    /// <summary>The graphs whose traces are read: the forward runs on the attention probe, as edits run it.</summary>
    private static readonly string ForwardGraph = Path.GetFileNameWithoutExtension(
        Core.Graph.GuidanceGraphCompiler.AttentionProbeFile
    );
    private static readonly string GuidanceGraph = Path.GetFileNameWithoutExtension(
        Core.Graph.GuidanceGraphCompiler.GuidanceFile
    );

    public static (IReadOnlyList<OpTypeTime> Forward, IReadOnlyList<OpTypeTime> Guidance) Run(
        string modelDirectory,
        ExecutionProvider provider,
        string folder,
        int runs,
        DenseTensor<float> sample,
        int timestep,
        DenseTensor<float> context,
        DenseTensor<float>[] references
    )
    {
        Directory.CreateDirectory(folder);
        var started = DateTime.UtcNow;
        var factory = new OnnxSessionFactory(provider, cuda: CudaEnvironment.Options) { ProfileFolder = folder };
        // Disposing the sessions is what writes their traces.
        using (var bundle = ModelBundle.Open(modelDirectory, factory))
        using (var sessions = new GuidanceSessions(bundle))
        using (var graphs = sessions.Graphs(sample.Dimensions[2], sample.Dimensions[3]))
        {
            for (var i = 0; i <= runs; i++)
                graphs.NoisePredictor.PredictNoise(sample, timestep, context);
            for (var i = 0; i <= runs; i++)
                graphs.Guidance.LossAndGradient(sample, timestep, context, references);
        }
        return (
            Summarise(folder, ForwardGraph, started, runs + 1, runs),
            Summarise(folder, GuidanceGraph, started, runs + 1, runs)
        );
    }

    /// <summary>
    /// The trace of <paramref name="graph"/> written since <paramref name="since"/>, its first call's runs left out
    /// (planning and first allocations), per call over the rest.
    /// </summary>
    private static IReadOnlyList<OpTypeTime> Summarise(
        string folder,
        string graph,
        DateTime since,
        int calls,
        int counted
    )
    {
        var trace = Directory
            .EnumerateFiles(folder, $"{graph}_*.json")
            .Where(f => File.GetLastWriteTimeUtc(f) >= since)
            .OrderBy(File.GetLastWriteTimeUtc)
            .LastOrDefault()
            ?? throw new InvalidOperationException($"ONNX Runtime wrote no profile of {graph} into {folder}");
        var profile = OrtProfile.Read(trace);
        if (profile.Runs.Count % calls != 0)
            throw new InvalidOperationException(
                $"{trace} holds {profile.Runs.Count} runs, not a whole number of runs for each of {calls} calls"
            );
        var perCall = profile.Runs.Count / calls;
        return OrtProfile.ByOpType(profile.Runs.Skip(perCall), counted);
    }

    /// <summary>
    /// The table: one row per op type, ms per call and share of the kernel time, forward beside guidance, the
    /// guidance graph's largest first.
    /// </summary>
    public static void Write(
        TextWriter output,
        string folder,
        IReadOnlyList<OpTypeTime> forward,
        IReadOnlyList<OpTypeTime> guidance
    )
    {
        var f = forward.ToDictionary(t => t.OpType);
        var g = guidance.ToDictionary(t => t.OpType);
        var types = guidance.Select(t => t.OpType).Concat(forward.Select(t => t.OpType).Except(g.Keys)).ToArray();
        var width = Math.Max(20, types.Max(t => t.Length) + 2);
        output.WriteLine($"ONNX Runtime profile: kernel time per call after a warm-up call (traces in {folder})");
        output.WriteLine($"{"op type".PadRight(width)}{"forward ms", 12}{"share", 8}{"guidance ms", 13}{"share", 8}");
        static string Cells(OpTypeTime? t, int msWidth) =>
            (t is null ? "-" : t.Milliseconds.ToString("F2", CultureInfo.InvariantCulture)).PadLeft(msWidth)
            + (t is null ? "-" : (t.Share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%").PadLeft(8);
        foreach (var type in types)
            output.WriteLine(
                type.PadRight(width) + Cells(f.GetValueOrDefault(type), 12) + Cells(g.GetValueOrDefault(type), 13)
            );
        var total = string.Create(
            CultureInfo.InvariantCulture,
            $"{forward.Sum(t => t.Milliseconds), 12:F2}{forward.Sum(t => t.Share) * 100, 7:F1}%"
                + $"{guidance.Sum(t => t.Milliseconds), 13:F2}{guidance.Sum(t => t.Share) * 100, 7:F1}%"
        );
        output.WriteLine($"{"total".PadRight(width)}{total}");
    }
}
