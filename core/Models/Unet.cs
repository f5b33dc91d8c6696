using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// SD UNet graph: (<c>sample</c> [B,4,h,w], <c>timestep</c>, <c>encoder_hidden_states</c> [B,77,d]) →
/// <c>out_sample</c>. The timestep's element type (int64 or float) and shape are read from the graph.
/// </summary>
public sealed class Unet : UnetShapedModel, INoisePredictor
{
    private readonly string _output;

    public Unet(InferenceSession session, string modelPath)
        : base(session, modelPath, "unet") => _output = RequireOutput(UnetSignature.NoiseOutputName);

    public DenseTensor<float> PredictNoise(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> encoderHiddenStates
    ) => PredictNoise(_output, sample, timestep, encoderHiddenStates);
}
