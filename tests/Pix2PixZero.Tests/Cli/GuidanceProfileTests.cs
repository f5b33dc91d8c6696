using System.Globalization;
using System.Text.Json;
using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Cli;

/// <summary><c>bench guidance --profile FOLDER</c> on the tiny model: forward and guidance time by op type.</summary>
[Collection(RunAlone.Name)]
public sealed class GuidanceProfileTests(ITestOutputHelper output)
{
    /// <summary>Kernels ONNX Runtime's CPU graph optimizer makes out of several ops of a graph file.</summary>
    private static readonly string[] FusedKernels =
    [
        "FusedConv",
        "FusedGemm",
        "FusedMatMul",
        "Gelu",
        "BiasGelu",
        "FastGelu",
        "QuickGelu",
        "LayerNormalization",
        "SkipLayerNormalization",
        "BiasSoftmax",
        "Split", // GatherSliceToSplitFusion: the Slices that tile one tensor
    ];

    private sealed record Row(
        string OpType,
        double? ForwardMs,
        double? ForwardShare,
        double? GuidanceMs,
        double? GuidanceShare
    );

    [Fact]
    public void Bench_guidance_with_a_profile_prints_kernel_time_by_op_type_for_the_forward_and_the_guidance_run()
    {
        var bundle = RepoPaths.CopyOfTinySd(); // the benchmark compiles the graphs afresh beside the UNet
        var folder = Directory.CreateTempSubdirectory("p2pz-profile-").FullName;
        var text = new StringWriter();

        GuidanceBenchmark.Run(bundle, ExecutionProvider.Cpu, runs: 2, imageSize: null, text, folder);

        output.WriteLine(text.ToString());
        var lines = text.ToString().Split('\n', StringSplitOptions.TrimEntries);
        var header = Array.FindIndex(lines, l => l.StartsWith("op type", StringComparison.Ordinal));
        var end = Array.FindIndex(lines, l => l.StartsWith("total", StringComparison.Ordinal));
        Assert.True(header > 0 && end > header + 1, text.ToString());
        var rows = lines[(header + 1)..end].Select(Parse).ToArray();
        var total = Parse(lines[end]);

        // Every figure is a time or a share of one; each column's shares make the whole, and its times its total.
        Assert.All(rows, r => Assert.True(r.ForwardMs is null or >= 0 && r.GuidanceMs is null or >= 0));
        Assert.Equal(100, rows.Sum(r => r.ForwardShare ?? 0), 0.5);
        Assert.Equal(100, rows.Sum(r => r.GuidanceShare ?? 0), 0.5);
        Assert.Equal(total.ForwardMs!.Value, rows.Sum(r => r.ForwardMs ?? 0), 0.01 * rows.Length);
        Assert.Equal(total.GuidanceMs!.Value, rows.Sum(r => r.GuidanceMs ?? 0), 0.01 * rows.Length);

        // The op types are those the sessions ran, by their traces read here on their own…
        Assert.Equal(
            TraceOpTypes(folder, "attention_probe"),
            rows.Where(r => r.ForwardMs is not null).Select(r => r.OpType).Order()
        );
        Assert.Equal(
            TraceOpTypes(folder, "guidance"),
            rows.Where(r => r.GuidanceMs is not null).Select(r => r.OpType).Order()
        );
        // …and each is an op of the compiled graphs, or a kernel ONNX Runtime fused from several.
        var graphOps = GraphOpTypes(Path.Combine(bundle, "unet", GuidanceGraphCompiler.AttentionProbeFile))
            .Union(GraphOpTypes(Path.Combine(bundle, "unet", GuidanceGraphCompiler.GuidanceFile)))
            .Union(FusedKernels);
        Assert.All(rows, r => Assert.Contains(r.OpType, graphOps));
        // The forward's work and the gradient's: a Conv's input gradient is a ConvTranspose, which no forward runs.
        Assert.Contains(rows, r => r.OpType == "Softmax" && r.ForwardMs is not null && r.GuidanceMs is not null);
        Assert.Contains(rows, r => r.OpType == "ConvTranspose" && r.ForwardMs is null && r.GuidanceMs > 0);
    }

    private static Row Parse(string line)
    {
        var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(5, cells.Length);
        static double? Number(string cell) =>
            cell == "-" ? null : double.Parse(cell.TrimEnd('%'), CultureInfo.InvariantCulture);
        return new Row(cells[0], Number(cells[1]), Number(cells[2]), Number(cells[3]), Number(cells[4]));
    }

    private static IEnumerable<string> TraceOpTypes(string folder, string graph)
    {
        var trace = Assert.Single(Directory.GetFiles(folder, $"{graph}_*.json"));
        using var json = JsonDocument.Parse(File.ReadAllBytes(trace));
        return json
            .RootElement.EnumerateArray()
            .Where(e => e.GetProperty("cat").GetString() == "Node")
            .Select(e => e.GetProperty("args").GetProperty("op_name").GetString()!)
            .Distinct()
            .Order()
            .ToArray();
    }

    private static HashSet<string> GraphOpTypes(string path) =>
        Core
            .Graph.Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(path))
            .Graph.Node.Select(n => n.OpType)
            .ToHashSet();
}
