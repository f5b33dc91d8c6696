using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// Both tiny UNets (static batch-2 int64 timestep; dynamic axes float timestep) compiled once per test class.
/// </summary>
public sealed class CompiledTinyUnets : IDisposable
{
    public CompiledTinyUnets()
    {
        Static = GuidanceGraphCompiler.Prepare(GraphFixtures.CopyUnet("tiny-sd"));
        // The dynamic goldens use a 16×32 latent: probe at that size so the measured shapes are the goldens' shapes.
        Dynamic = GuidanceGraphCompiler.Prepare(
            GraphFixtures.CopyUnet("tiny-sd-dynamic"),
            null,
            new GuidanceCompileOptions(new UnetProbeSize(Batch: 2, LatentHeight: 16, LatentWidth: 32))
        );
    }

    public PreparedUnetGraphs Static { get; }
    public PreparedUnetGraphs Dynamic { get; }

    public PreparedUnetGraphs Get(bool dynamic) => dynamic ? Dynamic : Static;

    public void Dispose()
    {
        foreach (var p in new[] { Static, Dynamic })
            Directory.Delete(Path.GetDirectoryName(p.SourceModelPath)!, recursive: true);
    }
}

public class GuidanceGraphCompilerTests(CompiledTinyUnets unets, ITestOutputHelper output)
    : IClassFixture<CompiledTinyUnets>
{
    private static string Prefix(bool dynamic) => dynamic ? "guid_dyn_" : "guid_";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Locator_finds_the_16_cross_attention_softmaxes_with_the_goldens_shapes_and_8_heads(bool dynamic)
    {
        var prepared = unets.Get(dynamic);
        var expected = GraphFixtures
            .Index()
            .GetProperty("attn2_map_shapes")
            .GetProperty(dynamic ? "dynamic_guid_16x32" : "static")
            .EnumerateArray()
            .Select(s => s.EnumerateArray().Select(d => d.GetInt64()).ToArray())
            .ToList();

        Assert.Equal(16, prepared.Layers.Count);
        for (var i = 0; i < 16; i++)
        {
            Assert.Equal(i, prepared.Layers[i].Index);
            Assert.Equal(expected[i], prepared.Layers[i].Shape);
            Assert.Equal(8, prepared.Layers[i].Heads);
        }
        // Structure, not names, found them; the export's names confirm they are the attn2 softmaxes in UNet order.
        var names = GraphFixtures
            .Index()
            .GetProperty("onnx")
            .GetProperty(dynamic ? "unet_dynamic_cross_attention_softmaxes" : "unet_static_cross_attention_softmaxes")
            .EnumerateArray()
            .Select(e => e.GetString()!)
            .ToList();
        Assert.Equal(names, prepared.Layers.Select(l => l.SoftmaxNode).ToList());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_probe_maps_match_the_pytorch_statistics(bool dynamic)
    {
        var prepared = unets.Get(dynamic);
        var stats = GraphFixtures.Golden(Prefix(dynamic) + "attn_stats");
        using var session = new InferenceSession(prepared.AttentionProbePath);
        var maps = RunProbe(session, Prefix(dynamic) + "sample", dynamic);

        double worst = 0;
        for (var i = 0; i < 16; i++)
        {
            var a = maps[i];
            var measured = new[] { a.Sum(v => (double)v), a.Sum(v => (double)v * v), a[0] };
            for (var k = 0; k < 3; k++)
            {
                var golden = stats.Doubles()[i * 3 + k];
                worst = Math.Max(worst, Math.Abs(measured[k] - golden) / Math.Max(Math.Abs(golden), 1e-3));
            }
        }
        output.WriteLine($"probe statistics, worst relative error: {worst:E2}");
        Assert.True(worst <= 1e-4, $"worst relative error of the attention-map statistics {worst:E2} > 1e-4");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Guidance_loss_and_gradient_match_pytorch_autograd(bool dynamic)
    {
        var prepared = unets.Get(dynamic);
        var p = Prefix(dynamic);
        using var probe = new InferenceSession(prepared.AttentionProbePath);
        var references = RunProbe(probe, p + "ref_sample", dynamic);

        using var guidance = new InferenceSession(prepared.GuidancePath);
        var (loss, grad) = RunGuidance(guidance, p, references);

        var goldenLoss = GraphFixtures.Golden(p + "loss").Doubles()[0];
        var goldenGrad = GraphFixtures.Golden(p + "grad_sample").Doubles();
        var lossError = Math.Abs(loss - goldenLoss) / Math.Abs(goldenLoss);
        var gradError = goldenGrad.Select((g, i) => Math.Abs(g - grad[i])).Max() / goldenGrad.Max(Math.Abs);
        output.WriteLine(
            $"{(dynamic ? "dynamic" : "static")}: loss {loss:R} vs {goldenLoss:R} (rel {lossError:E2}); "
                + $"grad max-abs error / max |grad| = {gradError:E2}"
        );
        Assert.Equal(goldenGrad.Length, grad.Length);
        Assert.True(lossError <= 1e-4, $"loss relative error {lossError:E2}");
        Assert.True(gradError <= 1e-4, $"gradient relative error {gradError:E2}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(null)]
    public void A_dynamic_pair_guided_one_row_at_a_time_has_the_pairs_pytorch_loss_and_gradient(int? rowsPerRun)
    {
        // How the pipeline runs a dynamic UNet's guidance graph: a session whose batch is fixed to the rows of one
        // run, and the wrapper combining the runs into the pair's loss and gradient.
        var prepared = unets.Dynamic;
        const string p = "guid_dyn_";
        using var probe = new InferenceSession(prepared.AttentionProbePath);
        var references = RunProbe(probe, p + "ref_sample", dynamic: true)
            .Select((map, i) => new DenseTensor<float>(map, prepared.Layers[i].Shape!.Select(d => (int)d).ToArray()))
            .ToList();
        var signature = UnetSignature.Read(OnnxGraph.Load(prepared.SourceModelPath));
        var sizes = signature.FixedDimensions(rowsPerRun ?? 2, latentHeight: 16, latentWidth: 32, tokens: 77);
        using var guidance = new GuidanceModel(
            TestProvider.NewFactory().Create(prepared.GuidancePath, weights: null, sizes),
            prepared.GuidancePath,
            prepared.Layers.Count,
            rowsPerRun
        );

        var timestep = GraphFixtures.Golden(p + "timestep").Floats()[0];
        var (loss, gradient) = guidance.LossAndGradient(
            GraphFixtures.Golden(p + "sample").Tensor(),
            timestep,
            GraphFixtures.Golden("guid_ehs").Tensor(),
            references
        );

        var goldenLoss = GraphFixtures.Golden(p + "loss").Doubles()[0];
        var goldenGrad = GraphFixtures.Golden(p + "grad_sample").Doubles();
        var grad = gradient.Buffer.ToArray();
        var lossError = Math.Abs(loss - goldenLoss) / Math.Abs(goldenLoss);
        var gradError = goldenGrad.Select((g, i) => Math.Abs(g - grad[i])).Max() / goldenGrad.Max(Math.Abs);
        output.WriteLine(
            $"{rowsPerRun?.ToString() ?? "all"} rows per run: loss "
                + $"rel {lossError:E2}, grad max-abs error / max |grad| = {gradError:E2}"
        );
        Assert.Equal(goldenGrad.Length, grad.Length);
        Assert.True(lossError <= 1e-4, $"loss relative error {lossError:E2}");
        Assert.True(gradError <= 1e-4, $"gradient relative error {gradError:E2}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Guidance_graph_stops_at_the_last_cross_attention_softmax_and_references_the_shared_weights(bool dynamic)
    {
        var prepared = unets.Get(dynamic);
        var source = OnnxGraph.Load(prepared.SourceModelPath);
        var guidance = OnnxGraph.Load(prepared.GuidancePath);
        var sourceNodes = source.Graph.Node.Select(n => n.Name).ToHashSet();
        var needed = source.AncestorsOf(prepared.Layers.Select(l => l.Output));
        var forwardNodes = source.Graph.Node.Where(n => n.Output.Any(needed.Contains)).Select(n => n.Name).ToHashSet();

        var copied = guidance.Graph.Node.Where(n => sourceNodes.Contains(n.Name)).ToList();
        Assert.NotEmpty(copied);
        Assert.All(copied, n => Assert.Contains(n.Name, forwardNodes));
        Assert.DoesNotContain(guidance.Graph.Node, n => n.Output.Contains(UnetSignature.NoiseOutputName));

        var sourceExternal = source.Graph.Initializer.Where(TensorValues.IsExternal).ToDictionary(t => t.Name);
        var external = guidance.Graph.Initializer.Where(TensorValues.IsExternal).ToList();
        Assert.NotEmpty(external);
        Assert.All(external, t => Assert.Equal(sourceExternal[t.Name].ExternalData, t.ExternalData));
        Assert.Equal(external.Count, external.Select(t => t.Name).Distinct().Count());
        // Tensor data stored in the graph file itself (inline initializers and Constant nodes): small scalars,
        // axes and shapes only. The file's size is no measure: the dynamic tiny UNet's graph structure alone
        // (Shape/Gather plumbing) is as large as its weights.
        var inlineBytes = InlineTensorBytes(guidance.Graph);
        var weightsBytes = new FileInfo(
            Path.Combine(Path.GetDirectoryName(prepared.SourceModelPath)!, "weights.pb")
        ).Length;
        output.WriteLine(
            $"guidance.onnx: {new FileInfo(prepared.GuidancePath).Length} bytes, {guidance.Graph.Node.Count} nodes, "
                + $"inline tensor data {inlineBytes} bytes (source "
                + $"graph {InlineTensorBytes(source.Graph)}); weights.pb {weightsBytes} bytes"
        );
        Assert.True(
            inlineBytes < 64 * 1024,
            $"guidance.onnx holds {inlineBytes} bytes of inline tensor data: weights were copied"
        );
    }

    private static long InlineTensorBytes(Pix2PixZero.Core.Graph.Onnx.GraphProto graph)
    {
        static long Payload(Pix2PixZero.Core.Graph.Onnx.TensorProto t) =>
            TensorValues.IsExternal(t)
                ? 0
                : t.RawData.Length
                    + 4L * (t.FloatData.Count + t.Int32Data.Count)
                    + 8L * (t.Int64Data.Count + t.DoubleData.Count);
        return graph.Initializer.Sum(Payload)
            + graph
                .Node.SelectMany(n => n.Attribute)
                .Sum(a => (a.T is null ? 0 : Payload(a.T)) + a.Tensors.Sum(Payload));
    }

    private static List<float[]> RunProbe(InferenceSession session, string sampleGolden, bool dynamic)
    {
        var p = dynamic ? "guid_dyn_" : "guid_";
        var inputs = new Dictionary<string, OrtValue>
        {
            ["sample"] = Tensor(GraphFixtures.Golden(sampleGolden)),
            ["timestep"] = Tensor(GraphFixtures.Golden(p + "timestep")),
            ["encoder_hidden_states"] = Tensor(GraphFixtures.Golden("guid_ehs")),
        };
        var names = Enumerable.Range(0, 16).Select(AttentionProbeGraph.OutputName).ToArray();
        try
        {
            using var outputs = session.Run(new RunOptions(), inputs.Keys.ToArray(), inputs.Values.ToArray(), names);
            return outputs.Select(o => o.GetTensorDataAsSpan<float>().ToArray()).ToList();
        }
        finally
        {
            foreach (var v in inputs.Values)
                v.Dispose();
        }
    }

    private (double Loss, float[] Grad) RunGuidance(InferenceSession session, string p, List<float[]> references)
    {
        var layers = unets.Get(p.Contains("dyn")).Layers;
        var inputs = new Dictionary<string, OrtValue>
        {
            ["sample"] = Tensor(GraphFixtures.Golden(p + "sample")),
            ["timestep"] = Tensor(GraphFixtures.Golden(p + "timestep")),
            ["encoder_hidden_states"] = Tensor(GraphFixtures.Golden("guid_ehs")),
        };
        for (var i = 0; i < references.Count; i++)
            inputs[GuidanceGraph.ReferenceInput(i)] = OrtValue.CreateTensorValueFromMemory(
                references[i],
                layers[i].Shape!
            );
        try
        {
            using var outputs = session.Run(
                new RunOptions(),
                inputs.Keys.ToArray(),
                inputs.Values.ToArray(),
                [GuidanceGraph.LossOutput, GuidanceGraph.GradientOutput]
            );
            return (outputs[0].GetTensorDataAsSpan<float>()[0], outputs[1].GetTensorDataAsSpan<float>().ToArray());
        }
        finally
        {
            foreach (var v in inputs.Values)
                v.Dispose();
        }
    }

    private static OrtValue Tensor(Npy.Array a) =>
        a.Dtype switch
        {
            "<i8" => OrtValue.CreateTensorValueFromMemory(a.Longs(), a.LongShape),
            _ => OrtValue.CreateTensorValueFromMemory(a.Floats(), a.LongShape),
        };
}
