using System.Text.Json;

namespace Pix2PixZero.Core.Runtime;

/// <summary>One op type's kernel time per call and its share of all kernel time.</summary>
public sealed record OpTypeTime(string OpType, double Milliseconds, double Share);

/// <summary>
/// A session's ONNX Runtime profile (the JSON trace <see cref="OnnxSessionFactory.ProfileFolder"/> makes), read as
/// its runs (<c>model_run</c> events) and the kernels each ran (<c>…_kernel_time</c> events, with the op type as ONNX
/// Runtime ran it: after its fusions, so <c>FusedConv</c> or <c>LayerNormalization</c> can stand for several ops of
/// the graph file). A kernel belongs to the run whose time span holds its start.
/// </summary>
public sealed class OrtProfile
{
    public sealed record Kernel(string OpType, double Microseconds);

    public sealed record Run(double Start, double Microseconds, IReadOnlyList<Kernel> Kernels);

    private OrtProfile(IReadOnlyList<Run> runs) => Runs = runs;

    /// <summary>The session's runs in the order they ran.</summary>
    public IReadOnlyList<Run> Runs { get; }

    public static OrtProfile Read(string path)
    {
        using var json = JsonDocument.Parse(File.ReadAllBytes(path));
        var windows = new List<(double Start, double Duration)>();
        var kernels = new List<(double Start, Kernel Kernel)>();
        foreach (var e in json.RootElement.EnumerateArray())
        {
            if (!e.TryGetProperty("cat", out var cat) || !e.TryGetProperty("name", out var name))
                continue;
            var (start, duration) = (e.GetProperty("ts").GetDouble(), e.GetProperty("dur").GetDouble());
            if (cat.GetString() == "Session" && name.GetString() == "model_run")
                windows.Add((start, duration));
            else if (cat.GetString() == "Node" && name.GetString()!.EndsWith("_kernel_time", StringComparison.Ordinal))
                kernels.Add((start, new Kernel(e.GetProperty("args").GetProperty("op_name").GetString()!, duration)));
        }
        windows.Sort();
        var runs = windows.Select(w => (w.Start, w.Duration, Kernels: new List<Kernel>())).ToArray();
        foreach (var (start, kernel) in kernels)
        {
            var run = Array.FindLastIndex(runs, r => r.Start <= start);
            if (run >= 0 && start <= runs[run].Start + runs[run].Duration)
                runs[run].Kernels.Add(kernel);
        }
        return new OrtProfile(runs.Select(r => new Run(r.Start, r.Duration, r.Kernels)).ToArray());
    }

    /// <summary>
    /// Kernel time by op type over <paramref name="runs"/>, per call when <paramref name="calls"/> calls made them
    /// (a call can be several runs: the guidance graph's one row at a time), largest first.
    /// </summary>
    public static IReadOnlyList<OpTypeTime> ByOpType(IEnumerable<Run> runs, int calls)
    {
        var totals = runs.SelectMany(r => r.Kernels)
            .GroupBy(k => k.OpType, StringComparer.Ordinal)
            .Select(g => (OpType: g.Key, Microseconds: g.Sum(k => k.Microseconds)))
            .ToArray();
        var all = totals.Sum(t => t.Microseconds);
        return totals
            .OrderByDescending(t => t.Microseconds)
            .ThenBy(t => t.OpType, StringComparer.Ordinal)
            .Select(t => new OpTypeTime(t.OpType, t.Microseconds / 1000 / calls, all > 0 ? t.Microseconds / all : 0))
            .ToArray();
    }
}
