using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Captioning;

/// <summary>Signature checks for the captioner graphs, with errors that say which BLIP graph was expected.</summary>
internal static class BlipGraphs
{
    public static string RequireInput(OnnxModel model, string name, int rank, string what) =>
        Require(
            model,
            model.Inputs.ToDictionary(p => p.Key, p => p.Value.Dimensions.Length),
            name,
            rank,
            "input",
            what
        );

    public static string RequireOutput(OnnxModel model, string name, int rank, string what) =>
        Require(
            model,
            model.Outputs.ToDictionary(p => p.Key, p => p.Value.Dimensions.Length),
            name,
            rank,
            "output",
            what
        );

    private static string Require(
        OnnxModel model,
        Dictionary<string, int> ranks,
        string name,
        int rank,
        string kind,
        string what
    )
    {
        if (!ranks.TryGetValue(name, out var actual))
            throw new ModelBundleException(
                model.ModelPath,
                $"the {model.Component} graph has no {kind} '{name}' (it "
                    + $"has: {string.Join(", ", ranks.Keys)}); expected a {what} export"
            );
        if (actual != rank)
            throw new ModelBundleException(
                model.ModelPath,
                $"the {model.Component} {kind} '{name}' has rank {actual}, expected {rank} for a {what}"
            );
        return name;
    }
}
