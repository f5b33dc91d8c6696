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
public sealed class GuidanceModel : UnetShapedModel
{
    private readonly string[] _references;
    private readonly string _loss;
    private readonly string _gradient;

    public GuidanceModel(InferenceSession session, string modelPath, int layerCount, int? rowsPerRun = null)
        : base(session, modelPath, "guidance")
    {
        if (rowsPerRun is < 1)
            throw new ArgumentOutOfRangeException(nameof(rowsPerRun), rowsPerRun, "at least one row per run");
        RowsPerRun = rowsPerRun;
        _references = Enumerable
            .Range(0, layerCount)
            .Select(i => RequireInput(GuidanceGraph.ReferenceInput(i)))
            .ToArray();
        _loss = RequireOutput(GuidanceGraph.LossOutput);
        _gradient = RequireOutput(GuidanceGraph.GradientOutput);
    }

    /// <summary>How many rows of a batch one run of the graph takes; null when it takes the whole batch.</summary>
    public int? RowsPerRun { get; }

    internal IReadOnlyList<string> ReferenceInputs => _references;

    internal string LossOutput => _loss;

    internal string GradientOutput => _gradient;

    /// <summary>What a run for the loss and the gradient is timed under.</summary>
    internal string RunTag => OutputsTag([_loss, _gradient]);

    /// <summary>The loss's shape as declared (a scalar, or one value where an axis is left open).</summary>
    internal long[] LossShape => Array.ConvertAll(Outputs[_loss].Dimensions, d => d > 0 ? (long)d : 1L);

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
        var perRun = Math.Min(RowsPerRun ?? rows, rows);
        // RowBatches pads a short last run by repeating a row, which would count that row twice in the mean.
        if (rows % perRun != 0)
            throw new ArgumentException($"a batch of {rows} rows does not split into runs of {perRun}");
        var loss = 0f;
        var gradient = RowBatches.Run(rows, perRun, chosen =>
        {
            var (runLoss, runGradient) = RunOnce(
                Rows(sample, rows, chosen),
                timestep,
                Rows(context, rows, chosen),
                referenceMaps.Select(m => Rows(m, rows, chosen)).ToList()
            );
            var share = (float)chosen.Length / rows;
            loss += runLoss * share;
            TensorPrimitives.Multiply(runGradient.Buffer.Span, share, runGradient.Buffer.Span);
            return runGradient;
        });
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
            .. UnetInputs(sample, timestep, context),
            .. _references.Select((name, i) => Input(name, referenceMaps[i])),
        ];
        var results = Run(inputs, _loss, _gradient);
        return (results[0].Buffer.Span[0], results[1]);
    }

    // The chosen batch rows of a tensor whose leading axis has the batch outermost (B for the sample and the text,
    // B·heads for the maps), over the same memory where the rows are consecutive.
    private static DenseTensor<float> Rows(DenseTensor<float> tensor, int batch, int[] chosen)
    {
        var dims = tensor.Dimensions.ToArray();
        if (dims[0] % batch != 0)
            throw new ArgumentException($"a tensor of {dims[0]} leading rows does not hold {batch} batch rows");
        dims[0] = dims[0] / batch * chosen.Length;
        var rowSize = (int)(tensor.Length / batch);
        return new DenseTensor<float>(RowBatches.Gather(tensor.Buffer, rowSize, chosen), dims);
    }
}
