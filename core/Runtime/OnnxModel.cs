using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// Base of the thin per-graph wrappers: owns one session, exposes its declared inputs/outputs, and converts
/// fp32 data to whatever element type each input declares (fp16, int32, int64…), so nothing is assumed.
/// </summary>
public abstract class OnnxModel : IDisposable
{
    protected OnnxModel(InferenceSession session, string modelPath, string component)
    {
        Session = session;
        ModelPath = modelPath;
        Component = component;
    }

    public string ModelPath { get; }

    public string Component { get; }

    public IReadOnlyDictionary<string, NodeMetadata> Inputs => Session.InputMetadata;

    public IReadOnlyDictionary<string, NodeMetadata> Outputs => Session.OutputMetadata;

    protected InferenceSession Session { get; }

    private readonly RunOptions _runOptions = new();

    public void Dispose()
    {
        Session.Dispose();
        _runOptions.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>
    /// The input named <paramref name="name"/>, or a bundle error naming the file and the inputs it has.
    /// </summary>
    protected string RequireInput(string name) => Require(Session.InputMetadata, name, "input");

    protected string RequireOutput(params string[] names)
    {
        foreach (var name in names)
            if (Session.OutputMetadata.ContainsKey(name))
                return name;
        if (names.Length > 0 && Session.OutputMetadata.Count == 1)
            return Session.OutputMetadata.Keys.Single();
        return Require(Session.OutputMetadata, names[0], "output");
    }

    private string Require(IReadOnlyDictionary<string, NodeMetadata> metadata, string name, string kind) =>
        metadata.ContainsKey(name)
            ? name
            : throw new ModelBundleException(
                ModelPath,
                $"the {Component} graph has no {kind} '{name}' (it "
                    + $"has: {string.Join(", ", metadata.Keys)}); is it a diffusers ONNX export?"
            );

    /// <summary>The fixed size of dimension <paramref name="axis"/> of an input, or null when it is dynamic.</summary>
    protected int? FixedDimension(string input, int axis)
    {
        var dims = Session.InputMetadata[input].Dimensions;
        return axis < dims.Length && dims[axis] > 0 ? dims[axis] : null;
    }

    protected ModelInput Input(string name, Memory<float> values, int[] shape) =>
        new(
            name,
            TensorConversion.ToInput(
                name,
                Session.InputMetadata[name].ElementDataType,
                values,
                Array.ConvertAll(shape, d => (long)d)
            )
        );

    protected ModelInput Input(string name, Memory<long> values, int[] shape) =>
        new(
            name,
            TensorConversion.ToInput(
                name,
                Session.InputMetadata[name].ElementDataType,
                values,
                Array.ConvertAll(shape, d => (long)d)
            )
        );

    /// <summary>
    /// A diffusion timestep in the element type and shape the graph declares: a scalar, a fixed-size vector, or one
    /// value per batch row when the axis is dynamic.
    /// </summary>
    protected ModelInput TimestepInput(string name, float timestep, int rows)
    {
        var dims = Session.InputMetadata[name].Dimensions;
        int[] shape = dims.Length == 0 ? [] : [dims[0] > 0 ? dims[0] : rows];
        var values = new float[shape.Length == 0 ? 1 : shape[0]];
        Array.Fill(values, timestep);
        return Input(name, values, shape);
    }

    /// <summary>
    /// A tensor input; fp32 tensors are handed to the session as they are (ONNX Runtime pins their buffer for the
    /// run), so large inputs such as the reference attention maps are not copied on every call.
    /// </summary>
    protected ModelInput Input(string name, DenseTensor<float> tensor) =>
        Input(name, tensor.Buffer, tensor.Dimensions.ToArray());

    /// <summary>
    /// A UNet-shaped call (sample, timestep, text → one output), in chunks of the graph's batch when the export fixes
    /// it (<see cref="RowBatches"/>).
    /// </summary>
    protected DenseTensor<float> PredictNoise(
        string sampleInput,
        string timestepInput,
        string contextInput,
        string output,
        int? fixedBatch,
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
        if (fixedBatch is null or 0 || fixedBatch == rows)
            return Run(
                [
                    Input(sampleInput, sample),
                    TimestepInput(timestepInput, timestep, rows),
                    Input(contextInput, encoderHiddenStates),
                ],
                output
            )[0];
        var sampleRow = (int)(sample.Length / rows);
        var contextRow = (int)(encoderHiddenStates.Length / rows);
        var sampleDims = sample.Dimensions.ToArray();
        var contextDims = encoderHiddenStates.Dimensions.ToArray();
        return RowBatches.Run(rows, fixedBatch, chosen =>
        {
            sampleDims[0] = contextDims[0] = chosen.Length;
            return Run(
                [
                    Input(sampleInput, RowBatches.Gather(sample.Buffer, sampleRow, chosen), sampleDims),
                    TimestepInput(timestepInput, timestep, chosen.Length),
                    Input(contextInput, RowBatches.Gather(encoderHiddenStates.Buffer, contextRow, chosen), contextDims),
                ],
                output
            )[0];
        });
    }

    /// <summary>
    /// Runs so far and their wall time, by what was asked (one output's name, or the number of outputs) and the batch
    /// (the first input's leading dimension), with the first run's time apart (it pays for planning and allocating the
    /// run's memory): what <c>bench</c> reports per step.
    /// </summary>
    public IReadOnlyDictionary<(string Outputs, long Batch), (int Runs, TimeSpan First, TimeSpan Time)> RunTimes
    {
        get
        {
            lock (_runTimes)
                return new Dictionary<(string, long), (int, TimeSpan, TimeSpan)>(_runTimes);
        }
    }

    private readonly Dictionary<(string Outputs, long Batch), (int Runs, TimeSpan First, TimeSpan Time)> _runTimes = [];

    /// <summary>Runs the graph and returns the named outputs as fp32 tensors; the inputs are disposed.</summary>
    protected DenseTensor<float>[] Run(IReadOnlyList<ModelInput> inputs, params string[] outputs)
    {
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            DenseTensor<float>[] converted;
            using (
                var results = Session.Run(
                    _runOptions,
                    inputs.Select(i => i.Name).ToArray(),
                    inputs.Select(i => i.Value).ToArray(),
                    outputs
                )
            )
                converted = results.Select((r, i) => TensorConversion.ToFloat(r, outputs[i], ModelPath)).ToArray();
            var batch =
                inputs.Count > 0 && inputs[0].Value.GetTensorTypeAndShape() is { Shape: [var rows, ..] } ? rows : 1L;
            var key = (outputs.Length == 1 ? outputs[0] : $"{outputs.Length} outputs", batch);
            lock (_runTimes)
            {
                var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
                var (runs, first, time) = _runTimes.GetValueOrDefault(key);
                _runTimes[key] = (runs + 1, runs == 0 ? elapsed : first, time + elapsed);
            }
            return converted;
        }
        finally
        {
            foreach (var input in inputs)
                input.Value.Dispose();
        }
    }
}
