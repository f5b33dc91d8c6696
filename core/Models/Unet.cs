using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// SD UNet graph: (<c>sample</c> [B,4,h,w], <c>timestep</c>, <c>encoder_hidden_states</c> [B,77,d]) →
/// <c>out_sample</c>. The timestep's element type (int64 or float) and shape are read from the graph.
/// </summary>
public sealed class Unet : OnnxModel
{
    private readonly string _sample;
    private readonly string _timestep;
    private readonly string _context;
    private readonly string _output;

    public Unet(InferenceSession session, string modelPath) : base(session, modelPath, "unet")
    {
        _sample = RequireInput("sample");
        _timestep = RequireInput("timestep");
        _context = RequireInput("encoder_hidden_states");
        _output = RequireOutput("out_sample");
    }

    public TensorElementType TimestepType => Inputs[_timestep].ElementDataType;

    public TensorElementType SampleType => Inputs[_sample].ElementDataType;

    public int? FixedBatch => FixedDimension(_sample, 0);

    public int? LatentChannels => FixedDimension(_sample, 1);

    /// <summary>(height, width) of the latent when the export fixes them.</summary>
    public (int Height, int Width)? FixedLatentSize =>
        FixedDimension(_sample, 2) is { } h && FixedDimension(_sample, 3) is { } w ? (h, w) : null;

    public DenseTensor<float> PredictNoise(DenseTensor<float> sample, float timestep, DenseTensor<float> encoderHiddenStates)
    {
        var rows = sample.Dimensions[0];
        if (encoderHiddenStates.Dimensions[0] != rows)
            throw new ArgumentException($"sample has {rows} rows but encoder_hidden_states has {encoderHiddenStates.Dimensions[0]}");
        var sampleRow = (int)(sample.Length / rows);
        var contextRow = (int)(encoderHiddenStates.Length / rows);
        var sampleDims = sample.Dimensions.ToArray();
        var contextDims = encoderHiddenStates.Dimensions.ToArray();
        return RowBatches.Run(rows, FixedBatch, chosen =>
        {
            sampleDims[0] = contextDims[0] = chosen.Length;
            return Run(
            [
                Input(_sample, RowBatches.Gather<float>(sample.Buffer.Span, sampleRow, chosen), sampleDims),
                TimestepInput(_timestep, timestep, chosen.Length),
                Input(_context, RowBatches.Gather<float>(encoderHiddenStates.Buffer.Span, contextRow, chosen), contextDims),
            ], _output)[0];
        });
    }
}
