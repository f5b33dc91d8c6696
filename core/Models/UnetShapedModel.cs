using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// A graph with the UNet's inputs (<see cref="UnetSignature.SampleName"/>, <see cref="UnetSignature.TimestepName"/>,
/// <see cref="UnetSignature.EncoderHiddenStatesName"/>): the UNet itself and the graphs compiled from it.
/// </summary>
public abstract class UnetShapedModel : OnnxModel
{
    private readonly string _sample;
    private readonly string _timestep;
    private readonly string _context;

    protected UnetShapedModel(InferenceSession session, string modelPath, string component)
        : base(session, modelPath, component)
    {
        _sample = RequireInput(UnetSignature.SampleName);
        _timestep = RequireInput(UnetSignature.TimestepName);
        _context = RequireInput(UnetSignature.EncoderHiddenStatesName);
    }

    public TensorElementType TimestepType => Inputs[_timestep].ElementDataType;

    public TensorElementType SampleType => Inputs[_sample].ElementDataType;

    public TensorElementType ContextType => Inputs[_context].ElementDataType;

    /// <summary>The batch the export fixes, or null when it is dynamic.</summary>
    public int? FixedBatch => FixedDimension(_sample, 0);

    /// <summary>The sample, the timestep and the text as the graph declares them, for one run.</summary>
    protected ModelInput[] UnetInputs(DenseTensor<float> sample, float timestep, DenseTensor<float> context) =>
        [Input(_sample, sample), TimestepInput(timestep, sample.Dimensions[0]), Input(_context, context)];

    /// <summary>
    /// The noise prediction read from <paramref name="output"/>, in chunks of the graph's batch when the export fixes
    /// it (<see cref="RowBatches"/>).
    /// </summary>
    protected DenseTensor<float> PredictNoise(
        string output,
        DenseTensor<float> sample,
        float timestep,
        DenseTensor<float> encoderHiddenStates
    )
    {
        var rows = sample.Dimensions[0];
        if (encoderHiddenStates.Dimensions[0] != rows)
            throw new ArgumentException(
                $"sample has {rows} rows but encoder_hidden_states has {encoderHiddenStates.Dimensions[0]}"
            );
        var fixedBatch = FixedBatch;
        if (fixedBatch is null or 0 || fixedBatch == rows)
            return Run(UnetInputs(sample, timestep, encoderHiddenStates), output)[0];
        var sampleRow = (int)(sample.Length / rows);
        var contextRow = (int)(encoderHiddenStates.Length / rows);
        var sampleDims = sample.Dimensions.ToArray();
        var contextDims = encoderHiddenStates.Dimensions.ToArray();
        return RowBatches.Run(rows, fixedBatch, chosen =>
        {
            sampleDims[0] = contextDims[0] = chosen.Length;
            return Run(
                [
                    Input(_sample, RowBatches.Gather(sample.Buffer, sampleRow, chosen), sampleDims),
                    TimestepInput(timestep, chosen.Length),
                    Input(_context, RowBatches.Gather(encoderHiddenStates.Buffer, contextRow, chosen), contextDims),
                ],
                output
            )[0];
        });
    }

    /// <summary>
    /// A diffusion timestep in the element type and shape the graph declares: a scalar, a fixed-size vector, or one
    /// value per batch row when the axis is dynamic.
    /// </summary>
    private ModelInput TimestepInput(float timestep, int rows)
    {
        var shape = TimestepShape(rows);
        var values = new float[shape.Length == 0 ? 1 : shape[0]];
        Array.Fill(values, timestep);
        return Input(_timestep, values, shape);
    }

    private int[] TimestepShape(int rows)
    {
        var dims = Inputs[_timestep].Dimensions;
        return dims.Length == 0 ? [] : [dims[0] > 0 ? dims[0] : rows];
    }

    /// <summary>A host tensor for the timestep of a run of <paramref name="rows"/> rows, as declared.</summary>
    internal BoundTensor TimestepTensor(int rows) =>
        new(OrtAllocator.DefaultInstance, TimestepType, Array.ConvertAll(TimestepShape(rows), d => (long)d));

    /// <summary>Binds the sample, the timestep and the text of the runs <paramref name="binding"/> makes.</summary>
    internal void BindUnetInputs(OrtIoBinding binding, OrtValue sample, OrtValue timestep, OrtValue context)
    {
        binding.BindInput(_sample, sample);
        binding.BindInput(_timestep, timestep);
        binding.BindInput(_context, context);
    }
}
