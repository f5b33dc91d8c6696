using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// The compiled attention-probe graph (DESIGN.md §2): the UNet's noise prediction plus the softmax maps of its
/// cross-attention layers (<see cref="AttentionProbeGraph.OutputName"/>: <c>attn_map_00</c>…), each
/// [B·heads, HW, tokens], from one run. Asked for the noise alone it is the UNet, so an edit needs no separate UNet
/// session (and no other copy of its weights).
/// </summary>
public sealed class AttentionProbe : UnetShapedModel, INoisePredictor
{
    private readonly string[] _outputs;

    public AttentionProbe(InferenceSession session, string modelPath, int layerCount)
        : base(session, modelPath, "attention probe")
    {
        LayerCount = layerCount;
        _outputs =
        [
            RequireOutput(UnetSignature.NoiseOutputName),
            .. Enumerable.Range(0, layerCount).Select(i => RequireOutput(AttentionProbeGraph.OutputName(i))),
        ];
    }

    public int LayerCount { get; }

    public DenseTensor<float> PredictNoise(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> encoderHiddenStates
    ) => PredictNoise(_outputs[0], sample, timestep, encoderHiddenStates);

    public (DenseTensor<float> Noise, DenseTensor<float>[] Maps) Run(
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> context
    )
    {
        var results = Run(UnetInputs(sample, timestep, context), _outputs);
        return (results[0], results[1..]);
    }
}
