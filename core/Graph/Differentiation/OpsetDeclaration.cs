namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>
/// Forward rewrite run before differentiation: a graph of opset 13–16 is declared opset 17 (whose ops mean the same,
/// see <see cref="OnnxGraph.UpgradeOpset"/>), so the normalization rules can take x̂ and 1/σ from one
/// LayerNormalization kernel.
/// </summary>
public static class OpsetDeclaration
{
    public const long LayerNormalizationOpset = 17;

    public static void Apply(OnnxGraph graph)
    {
        if (graph.Opset is >= 13 and < LayerNormalizationOpset)
            graph.UpgradeOpset(LayerNormalizationOpset);
    }
}
