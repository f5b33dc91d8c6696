using Pix2PixZero.Core;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Models;

public class PosteriorMeanRewriterTests
{
    // mean + exp(0.5 · logvar) · RandomNormalLike(mean), the shape diffusers' converter exports.
    private static GraphTestModel SamplingEncoder()
    {
        var m = new GraphTestModel(17, TensorValues.Float, dynamic: false);
        var mean = m.Input("mean", 1, 4, 2, 2);
        var logvar = m.Input("logvar", 1, 4, 2, 2);
        var std = m.Node("Exp", [m.Node("Mul", [logvar, m.Weight("half", [0.5], [1])], "half_logvar")], "std");
        var noise = m.Node("RandomNormalLike", [mean], "noise");
        m.Node("Add", [mean, m.Node("Mul", [std, noise], "scaled")], "latent");
        m.Output("latent");
        return m;
    }

    [Fact]
    public void The_reparameterised_sample_becomes_the_mean_and_the_noise_branch_is_pruned()
    {
        var model = SamplingEncoder().Build().Model;
        Assert.True(PosteriorMeanRewriter.Samples(model));

        PosteriorMeanRewriter.Rewrite(model, "vae_encoder/model.onnx");

        Assert.False(PosteriorMeanRewriter.Samples(model));
        var node = Assert.Single(model.Graph.Node);
        Assert.Equal(
            ("Identity", "mean", "latent"),
            (node.OpType, Assert.Single(node.Input), Assert.Single(node.Output))
        );
        Assert.Empty(model.Graph.Initializer);
        Assert.Equal(["mean", "logvar"], model.Graph.Input.Select(i => i.Name));
    }

    [Fact]
    public void Sampling_in_another_form_is_refused_naming_the_op()
    {
        var m = new GraphTestModel(17, TensorValues.Float, dynamic: false);
        var mean = m.Input("mean", 1, 4, 2, 2);
        m.Node("Add", [mean, m.Node("RandomNormalLike", [mean], "noise")], "latent");
        m.Output("latent");
        var model = m.Build().Model;

        var e = Assert.Throws<ModelBundleException>(() =>
            PosteriorMeanRewriter.Rewrite(model, "vae_encoder/model.onnx")
        );
        Assert.Contains("RandomNormalLike ('n_noise')", e.Message);
    }
}
