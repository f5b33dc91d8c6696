using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// The compiled guidance graph (DESIGN.md §2): for a sample, timestep, text and the reference maps, the
/// cross-attention loss Σ_layers mean_rows Σ_{HW,tokens} (A − A_ref)² and its gradient with respect to the sample.
/// <para>
/// With <c>rowsPerRun</c> given, a batch is run that many rows at a time. The rows of a batch do not meet inside the
/// UNet, and the loss is a mean over rows, so a batch of n parts has the mean of the parts' losses, and each part's
/// gradient is its own run's divided by n. The reverse pass keeps the activations of the rows it runs: one row at a
/// time, the guidance run of a CFG pair holds half of what the pair at once would (README, Performance).
/// </para>
/// </summary>
public sealed class GuidanceModel : OnnxModel
{
    private readonly string _sample;
    private readonly string _timestep;
    private readonly string _context;
    private readonly string[] _references;
    private readonly string _loss;
    private readonly string _gradient;

    public GuidanceModel(InferenceSession session, string modelPath, int layerCount, int? rowsPerRun = null)
        : base(session, modelPath, "guidance")
    {
        if (rowsPerRun is < 1)
            throw new ArgumentOutOfRangeException(nameof(rowsPerRun), rowsPerRun, "at least one row per run");
        RowsPerRun = rowsPerRun;
        _sample = RequireInput(UnetSignature.SampleName);
        _timestep = RequireInput(UnetSignature.TimestepName);
        _context = RequireInput(UnetSignature.EncoderHiddenStatesName);
        _references = Enumerable
            .Range(0, layerCount)
            .Select(i => RequireInput(GuidanceGraph.ReferenceInput(i)))
            .ToArray();
        _loss = RequireOutput(GuidanceGraph.LossOutput);
        _gradient = RequireOutput(GuidanceGraph.GradientOutput);
    }

    /// <summary>How many rows of a batch one run of the graph takes; null when it takes the whole batch.</summary>
    public int? RowsPerRun { get; }

    public (float Loss, DenseTensor<float> Gradient) LossAndGradient(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> context,
        IReadOnlyList<DenseTensor<float>> referenceMaps
    )
    {
        if (referenceMaps.Count != _references.Length)
            throw new ArgumentException(
                $"the guidance graph takes {_references.Length} reference maps, got {referenceMaps.Count}"
            );
        var rows = sample.Dimensions[0];
        if (RowsPerRun is not { } perRun || perRun >= rows)
            return RunOnce(sample, timestep, context, referenceMaps);
        if (rows % perRun != 0)
            throw new ArgumentException($"a batch of {rows} rows does not split into runs of {perRun}");
        var parts = rows / perRun;
        var loss = 0f;
        var gradient = new DenseTensor<float>(sample.Dimensions);
        for (var part = 0; part < parts; part++)
        {
            var (partLoss, partGradient) = RunOnce(
                Part(sample, part, parts),
                timestep,
                Part(context, part, parts),
                referenceMaps.Select(m => Part(m, part, parts)).ToList()
            );
            loss += partLoss / parts;
            var length = (int)partGradient.Length;
            TensorPrimitives.Multiply(
                partGradient.Buffer.Span,
                1f / parts,
                gradient.Buffer.Span.Slice(part * length, length)
            );
        }
        return (loss, gradient);
    }

    private (float Loss, DenseTensor<float> Gradient) RunOnce(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> context,
        IReadOnlyList<DenseTensor<float>> referenceMaps
    )
    {
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

    // Part k of n along the leading axis, over the same memory. The maps' leading axis is B·heads with the batch
    // outermost, as the sample's and the text's is B, so part k of each belongs to the same rows.
    private static DenseTensor<float> Part(DenseTensor<float> tensor, int part, int parts)
    {
        var dims = tensor.Dimensions.ToArray();
        if (dims[0] % parts != 0)
            throw new ArgumentException($"a tensor of {dims[0]} leading rows does not split into {parts} parts");
        dims[0] /= parts;
        var length = (int)(tensor.Length / parts);
        return new DenseTensor<float>(tensor.Buffer.Slice(part * length, length), dims);
    }
}
