using Google.Protobuf;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// The compiler's cache (keyed by the source's hash) and its refusals: UNets the method cannot use fail at compile
/// time with a message that names the file and what is wrong.
/// </summary>
public sealed class GuidanceGraphCacheAndRefusalTests : IDisposable
{
    private readonly string _unet = GraphFixtures.CopyUnet("tiny-sd");

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_unet)!, recursive: true);

    private void Rewrite(Action<OnnxGraph> change)
    {
        var graph = OnnxGraph.Load(_unet);
        change(graph);
        graph.Save(_unet);
    }

    [Fact]
    public void Compiled_graphs_are_reused_until_the_source_changes_then_rebuilt()
    {
        var first = GuidanceGraphCompiler.Prepare(_unet);
        var second = GuidanceGraphCompiler.Prepare(_unet);
        Assert.False(first.FromCache);
        Assert.True(second.FromCache);
        Assert.Equal(first.SourceSha256, second.SourceSha256);

        Rewrite(graph => graph.Model.DocString = "re-exported");
        var rebuilt = GuidanceGraphCompiler.Prepare(_unet);
        Assert.False(rebuilt.FromCache);
        Assert.NotEqual(first.SourceSha256, rebuilt.SourceSha256);
        Assert.Equal(16, rebuilt.Layers.Count);
    }

    [Fact]
    public void A_fused_attention_export_is_refused_naming_its_kernels()
    {
        // What ORT's transformer optimizer leaves: attention fused into com.microsoft kernels, no Softmax to read.
        Rewrite(graph =>
        {
            foreach (var node in graph.Graph.Node.Where(n => n.OpType == "Softmax"))
            {
                node.OpType = "MultiHeadAttention";
                node.Domain = "com.microsoft";
            }
        });
        var e = Assert.Throws<ModelBundleException>(() => GuidanceGraphCompiler.Prepare(_unet));
        Assert.Equal(_unet, e.Path);
        Assert.Contains("fused kernels (com.microsoft.MultiHeadAttention ×32)", e.Message);
        Assert.Contains("A plain (unfused) export is needed", e.Message);
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(_unet)!, GuidanceGraphCompiler.ManifestFile)));
    }

    [Fact]
    public void An_op_without_a_gradient_rule_on_the_path_is_refused_naming_the_op_and_the_node()
    {
        // HardSigmoid runs, but no rule differentiates it: put it
        // in place of the first SiLU sigmoid the sample reaches.
        string name = "";
        Rewrite(graph =>
        {
            var fromSample = graph.ValueDependentsOf("sample", new TensorTypes(graph));
            var sigmoid = graph.Graph.Node.First(n => n.OpType == "Sigmoid" && fromSample.Contains(n.Input[0]));
            sigmoid.OpType = "HardSigmoid";
            name = sigmoid.Name;
        });
        var e = Assert.Throws<ModelBundleException>(() => GuidanceGraphCompiler.Prepare(_unet));
        Assert.Contains($"Cannot differentiate HardSigmoid node '{name}'", e.Message);
        Assert.Contains("add a gradient rule", e.Message);
    }

    [Fact]
    public void A_graph_without_text_conditioned_attention_is_refused()
    {
        Rewrite(graph =>
        {
            foreach (var node in graph.Graph.Node.Where(n => n.OpType == "Softmax"))
                node.OpType = "Sigmoid";
        });
        var e = Assert.Throws<ModelBundleException>(() => GuidanceGraphCompiler.Prepare(_unet));
        Assert.Contains("No cross-attention softmax found", e.Message);
    }
}
