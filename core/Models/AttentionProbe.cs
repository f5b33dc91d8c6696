using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;

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

    internal string NoiseOutput => _outputs[0];

    internal IReadOnlyList<string> MapOutputs => _outputs[1..];

    /// <summary>What a run that asks for the noise and every map is timed under.</summary>
    internal string AllOutputsTag => OutputsTag(_outputs);

    private readonly Dictionary<(int Height, int Width), long[][]> _mapRowShapes = [];

    /// <summary>
    /// The shapes of the maps of <paramref name="rows"/> batch rows at a sample of <paramref name="sampleShape"/> and a
    /// text of <paramref name="contextShape"/>, measured by one run at zeros of the graph's batch (or one row) on the
    /// first call for a latent size: ONNX Runtime knows them only by running, and the buffers bound to a run must have
    /// them before it.
    /// </summary>
    internal long[][] MapShapes(int rows, int[] sampleShape, int[] contextShape)
    {
        var size = (sampleShape[2], sampleShape[3]);
        long[][]? perRow;
        // Edits of one latent size may share the probe's session from several threads.
        lock (_mapRowShapes)
            if (!_mapRowShapes.TryGetValue(size, out perRow))
                _mapRowShapes[size] = perRow = MeasureMapShapes(sampleShape, contextShape);
        return perRow.Select(s => (long[])[s[0] * rows, .. s[1..]]).ToArray();
    }

    private long[][] MeasureMapShapes(int[] sampleShape, int[] contextShape)
    {
        var rows = FixedBatch ?? 1;
        using var sample = Zeros(SampleType, [rows, .. sampleShape[1..]]);
        using var context = Zeros(ContextType, [rows, .. contextShape[1..]]);
        using var timestep = TimestepTensor(rows);
        timestep.Value.GetTensorMutableRawData().Clear();
        using var binding = CreateBinding();
        BindUnetInputs(binding, sample.Value, timestep.Value, context.Value);
        foreach (var output in _outputs)
            binding.BindOutputToDevice(output, DeviceMemory);
        Run(binding, AllOutputsTag, rows);
        using var values = binding.GetOutputValues();
        return values
            .Skip(1)
            .Select(v => v.GetTensorTypeAndShape().Shape)
            .Select(s => (long[])[s[0] / rows, .. s[1..]])
            .ToArray();
    }

    private static BoundTensor Zeros(TensorElementType type, int[] shape)
    {
        var tensor = new BoundTensor(OrtAllocator.DefaultInstance, type, Array.ConvertAll(shape, d => (long)d));
        tensor.Value.GetTensorMutableRawData().Clear();
        return tensor;
    }

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
