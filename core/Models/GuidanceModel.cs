using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// The compiled guidance graph (DESIGN.md §2): for a sample, timestep, text and the reference maps, the
/// cross-attention loss Σ_layers mean_rows Σ_{HW,tokens} (A − A_ref)² and its gradient with respect to the sample.
/// </summary>
public sealed class GuidanceModel : OnnxModel
{
    private readonly string _sample;
    private readonly string _timestep;
    private readonly string _context;
    private readonly string[] _references;
    private readonly string _loss;
    private readonly string _gradient;

    public GuidanceModel(InferenceSession session, string modelPath, int layerCount) : base(session, modelPath, "guidance")
    {
        _sample = RequireInput(UnetSignature.SampleName);
        _timestep = RequireInput(UnetSignature.TimestepName);
        _context = RequireInput(UnetSignature.EncoderHiddenStatesName);
        _references = Enumerable.Range(0, layerCount).Select(i => RequireInput(GuidanceGraph.ReferenceInput(i))).ToArray();
        _loss = RequireOutput(GuidanceGraph.LossOutput);
        _gradient = RequireOutput(GuidanceGraph.GradientOutput);
    }

    public (float Loss, DenseTensor<float> Gradient) LossAndGradient(
        DenseTensor<float> sample, float timestep, DenseTensor<float> context, IReadOnlyList<DenseTensor<float>> referenceMaps)
    {
        if (referenceMaps.Count != _references.Length)
            throw new ArgumentException($"the guidance graph takes {_references.Length} reference maps, got {referenceMaps.Count}");
        List<ModelInput> inputs =
        [
            Input(_sample, sample),
            TimestepInput(_timestep, timestep, sample.Dimensions[0]),
            Input(_context, context),
            .. _references.Select((name, i) => Input(name, referenceMaps[i])),
        ];
        var results = Run(inputs, _loss, _gradient);
        return (results[0].Buffer.Span[0], results[1]);
    }
}
