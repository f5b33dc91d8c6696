using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// diffusers' ONNX converter exports the VAE encoder as <c>mean + std · RandomNormalLike(mean)</c>, which makes
/// encoding random. This rewrite replaces the <c>Add(mean, Mul(std, noise))</c> with <c>Identity(mean)</c> and
/// prunes what no longer feeds an output (<see cref="OnnxGraph.Prune"/>),
/// giving the posterior mean (DESIGN.md §1.2 step 1).
/// </summary>
public static class PosteriorMeanRewriter
{
    private static readonly HashSet<string> RandomOps =
    [
        "RandomNormalLike",
        "RandomNormal",
        "RandomUniformLike",
        "RandomUniform",
        "Multinomial",
    ];

    public static bool Samples(ModelProto model) => model.Graph.Node.Any(n => RandomOps.Contains(n.OpType));

    /// <summary>Rewrites the model in place; throws when the sampling is not the reparameterisation it knows.</summary>
    public static void Rewrite(ModelProto model, string path)
    {
        OnnxGraph graph;
        try
        {
            graph = new OnnxGraph(model);
        }
        catch (InvalidDataException e)
        {
            throw new ModelBundleException(path, e.Message, e);
        }
        var consumers = graph.Consumers();
        foreach (var random in graph.Graph.Node.Where(n => RandomOps.Contains(n.OpType)).ToList())
        {
            var scaled = FirstConsumer(consumers, random.Output[0], "Mul");
            var sum = scaled is null ? null : FirstConsumer(consumers, scaled.Output[0], "Add");
            if (random.OpType != "RandomNormalLike" || scaled is null || sum is null || sum.Input.Count != 2)
                throw new ModelBundleException(
                    path,
                    $"the VAE encoder samples with {random.OpType} ('{random.Name}') "
                        + "in a form that cannot be rewritten to the posterior mean; "
                        + "export the encoder returning latent_dist.mean or the moments"
                );
            var mean = sum.Input[0] == scaled.Output[0] ? sum.Input[1] : sum.Input[0];
            sum.OpType = "Identity";
            sum.Input.Clear();
            sum.Input.Add(mean);
        }
        graph.Prune();
        if (Samples(model))
            throw new ModelBundleException(path, "the VAE encoder still samples after the posterior-mean rewrite");
    }

    private static NodeProto? FirstConsumer(
        Dictionary<string, List<NodeProto>> consumers,
        string tensor,
        string opType
    ) => consumers.TryGetValue(tensor, out var users) ? users.FirstOrDefault(n => n.OpType == opType) : null;
}
