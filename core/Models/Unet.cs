using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// SD UNet graph: (<c>sample</c> [B,4,h,w], <c>timestep</c>, <c>encoder_hidden_states</c> [B,77,d]) →
/// <c>out_sample</c>. The timestep's element type (int64 or float) and shape are read from the graph.
/// </summary>
public sealed class Unet : OnnxModel, INoisePredictor
{
    private readonly string _sample;
    private readonly string _timestep;
    private readonly string _context;
    private readonly string _output;

    public Unet(InferenceSession session, string modelPath)
        : base(session, modelPath, "unet")
    {
        _sample = RequireInput(UnetSignature.SampleName);
        _timestep = RequireInput(UnetSignature.TimestepName);
        _context = RequireInput(UnetSignature.EncoderHiddenStatesName);
        _output = RequireOutput(UnetSignature.NoiseOutputName);
    }

    public TensorElementType TimestepType => Inputs[_timestep].ElementDataType;

    public int? FixedBatch => FixedDimension(_sample, 0);

    public DenseTensor<float> PredictNoise(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> encoderHiddenStates
    ) => PredictNoise(_sample, _timestep, _context, _output, FixedBatch, sample, timestep, encoderHiddenStates);
}
