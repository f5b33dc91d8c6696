using System.Diagnostics.Metrics;
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

    /// <summary>
    /// Where buffers bound to this graph's runs and kept on its device live (<see cref="BufferPlacement"/>); host
    /// memory unless the session runs on a GPU.
    /// </summary>
    public OrtMemoryInfo DeviceMemory { get; init; } = OrtMemoryInfo.DefaultInstance;

    /// <summary>An allocator of <see cref="DeviceMemory"/> for buffers that outlive single runs.</summary>
    internal OrtAllocator DeviceAllocator() => new(Session, DeviceMemory);

    internal OrtIoBinding CreateBinding() => Session.CreateIoBinding();

    internal TensorElementType OutputType(string name) => Session.OutputMetadata[name].ElementDataType;

    internal TensorElementType InputType(string name) => Session.InputMetadata[name].ElementDataType;

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
    /// A tensor input; fp32 tensors are handed to the session as they are (ONNX Runtime pins their buffer for the
    /// run), so large inputs such as the reference attention maps are not copied on every call.
    /// </summary>
    protected ModelInput Input(string name, DenseTensor<float> tensor) =>
        Input(name, tensor.Buffer, tensor.Dimensions.ToArray());

    /// <summary>The meter of <see cref="RunDuration"/>.</summary>
    public const string MeterName = "Pix2PixZero.Onnx";

    /// <summary>The name of <see cref="RunDuration"/>, which listeners match with <see cref="MeterName"/>.</summary>
    public const string RunDurationName = "pix2pixzero.onnx.run.duration";

    private static readonly Meter RunMeter = new(MeterName);

    /// <summary>
    /// Each run's wall time in milliseconds, tagged with the graph (<c>graph</c>: its <see cref="Component"/>), what
    /// was asked (<c>outputs</c>: one output's name, or the number of outputs) and the batch (<c>batch</c>: the
    /// first input's leading dimension). A .NET metric, recorded only while a listener (<c>bench</c>, a telemetry
    /// exporter) takes it, so the model holds no timing of its own.
    /// </summary>
    public static readonly Histogram<double> RunDuration = RunMeter.CreateHistogram<double>(
        RunDurationName,
        "ms",
        "wall time of one ONNX Runtime run of a graph"
    );

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
            if (RunDuration.Enabled)
                RunDuration.Record(
                    System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                    new("graph", Component),
                    new("outputs", OutputsTag(outputs)),
                    new("batch", Batch(inputs))
                );
            return converted;
        }
        finally
        {
            foreach (var input in inputs)
                input.Value.Dispose();
        }
    }

    /// <summary>
    /// Runs the graph on buffers bound beforehand (<see cref="BoundTensor"/>): its outputs are written where they are
    /// bound, so nothing is converted or copied into managed memory. Timed as <see cref="Run(IReadOnlyList{ModelInput},
    /// string[])"/> is, with the tags of the same request.
    /// </summary>
    internal void Run(OrtIoBinding binding, string outputs, long batch)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Session.RunWithBinding(_runOptions, binding);
        if (RunDuration.Enabled)
            RunDuration.Record(
                System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new("graph", Component),
                new("outputs", outputs),
                new("batch", batch)
            );
    }

    /// <summary>The tag a run of <paramref name="outputs"/> is timed under.</summary>
    internal static string OutputsTag(IReadOnlyList<string> outputs) =>
        outputs.Count == 1 ? outputs[0] : $"{outputs.Count} outputs";

    private static long Batch(IReadOnlyList<ModelInput> inputs) =>
        inputs.Count > 0 && inputs[0].Value.GetTensorTypeAndShape() is { Shape: [var rows, ..] } ? rows : 1L;
}
