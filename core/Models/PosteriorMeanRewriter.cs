using Google.Protobuf;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// diffusers' ONNX converter exports the VAE encoder as <c>mean + std · RandomNormalLike(mean)</c>, which makes
/// encoding random. This rewrite replaces the <c>Add(mean, Mul(std, noise))</c> with <c>Identity(mean)</c> and
/// drops the nodes that no longer feed an output, giving the posterior mean (DESIGN.md §1.2 step 1).
/// </summary>
public static class PosteriorMeanRewriter
{
    private static readonly HashSet<string> RandomOps = ["RandomNormalLike", "RandomNormal", "RandomUniformLike", "RandomUniform", "Multinomial"];

    public static bool Samples(ModelProto model) => model.Graph.Node.Any(n => RandomOps.Contains(n.OpType));

    /// <summary>Rewrites the model in place; throws when the sampling is not the reparameterisation it knows.</summary>
    public static void Rewrite(ModelProto model, string path)
    {
        var graph = model.Graph;
        var producer = graph.Node.SelectMany(n => n.Output.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n);
        foreach (var random in graph.Node.Where(n => RandomOps.Contains(n.OpType)).ToList())
        {
            var noise = random.Output[0];
            var scaled = graph.Node.FirstOrDefault(n => n.OpType == "Mul" && n.Input.Contains(noise));
            var sum = scaled is null ? null : graph.Node.FirstOrDefault(n => n.OpType == "Add" && n.Input.Contains(scaled.Output[0]));
            if (random.OpType != "RandomNormalLike" || scaled is null || sum is null || sum.Input.Count != 2)
                throw new ModelBundleException(path,
                    $"the VAE encoder samples with {random.OpType} ('{random.Name}') in a form that cannot be rewritten to the posterior mean; export the encoder returning latent_dist.mean or the moments");
            var mean = sum.Input[0] == scaled.Output[0] ? sum.Input[1] : sum.Input[0];
            sum.OpType = "Identity";
            sum.Input.Clear();
            sum.Input.Add(mean);
        }
        RemoveDeadNodes(graph);
        if (Samples(model))
            throw new ModelBundleException(path, "the VAE encoder still samples after the posterior-mean rewrite");
    }

    private static void RemoveDeadNodes(GraphProto graph)
    {
        var live = new HashSet<string>(graph.Output.Select(o => o.Name));
        for (var i = graph.Node.Count - 1; i >= 0; i--)
        {
            var node = graph.Node[i];
            if (node.Output.Any(live.Contains))
                foreach (var input in node.Input) live.Add(input);
            else
                graph.Node.RemoveAt(i);
        }
    }

    public static byte[] ToBytes(ModelProto model) => model.ToByteArray();
}
