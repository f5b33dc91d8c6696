using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Models;

namespace Pix2PixZero.Core.Editing;

/// <summary>
/// The step's runs with every output copied into managed tensors: the path of graphs whose fixed batch the bound
/// buffers do not fit (<see cref="BoundEditPasses.Supports"/>), which run through <c>RowBatches</c>.
/// </summary>
internal sealed class ManagedEditPasses(
    AttentionProbe probe,
    GuidanceModel guidance,
    INoisePredictor unet,
    int[] pairShape,
    DenseTensor<float> referenceContext,
    IReadOnlyList<DenseTensor<float>> editContexts
) : IEditPasses
{
    /// <summary>
    /// The maps the guidance runs compare with: the last <see cref="Reference"/> run's, or those given.
    /// </summary>
    public IReadOnlyList<DenseTensor<float>> Maps { get; set; } = [];

    public ReadOnlySpan<float> Reference(ReadOnlySpan<float> latent, int timestep)
    {
        var (noise, maps) = probe.Run(Pair(latent), timestep, referenceContext);
        Maps = maps;
        return noise.Buffer.Span;
    }

    public float Guide(int edit, ReadOnlySpan<float> latent, int timestep, Span<float> gradient)
    {
        var (loss, result) = guidance.LossAndGradient(Pair(latent), timestep, editContexts[edit], Maps);
        result.Buffer.Span.CopyTo(gradient);
        return loss;
    }

    public ReadOnlySpan<float> Noise(int edit, ReadOnlySpan<float> guided, int timestep) =>
        unet.PredictNoise(
            new DenseTensor<float>(guided.ToArray(), pairShape),
            timestep,
            editContexts[edit]
        ).Buffer.Span;

    public void Dispose() => Maps = [];

    private DenseTensor<float> Pair(ReadOnlySpan<float> latent)
    {
        var pair = new DenseTensor<float>(pairShape);
        LatentMath.Twice(latent, pair.Buffer.Span);
        return pair;
    }
}
