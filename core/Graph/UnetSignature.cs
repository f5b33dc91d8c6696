using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Sizes used to run a UNet with symbolic axes once, at compile time, to measure its tensors' shapes. Small on
/// purpose: the compiled graphs read sizes at run time, so the measurement only needs every level of the UNet to
/// keep a size above 1 (a 32×32 latent is 4×4 after SD's three downsamplings), and its memory and time stay a
/// fraction of a 512×512 run's.
/// </summary>
/// <param name="Batch">Batch of the guidance pass (the CFG pair [x, x]).</param>
public sealed record UnetProbeSize(int Batch = 2, int LatentHeight = 32, int LatentWidth = 32, int Tokens = 77)
{
    public void Validate()
    {
        if (Batch < 2)
            throw new ArgumentOutOfRangeException(
                nameof(Batch),
                Batch,
                "Batch must be at least 2 (sizes of 1 hide broadcasting)."
            );
        if (LatentHeight < 2 || LatentWidth < 2)
            throw new ArgumentOutOfRangeException(
                nameof(LatentHeight),
                $"{LatentHeight}x{LatentWidth}",
                "Latent sizes must be at least 2."
            );
        if (Tokens < 2)
            throw new ArgumentOutOfRangeException(nameof(Tokens), Tokens, "Tokens must be at least 2.");
    }
}

/// <summary>
/// The three UNet inputs of a diffusers export: names, element types and declared dimensions; and the name of its
/// noise-prediction output, which the attention probe keeps.
/// </summary>
public sealed class UnetSignature
{
    public const string SampleName = "sample";
    public const string TimestepName = "timestep";
    public const string EncoderHiddenStatesName = "encoder_hidden_states";
    public const string NoiseOutputName = "out_sample";

    private UnetSignature(ValueInfoProto sample, ValueInfoProto timestep, ValueInfoProto ehs)
    {
        Sample = sample;
        Timestep = timestep;
        EncoderHiddenStates = ehs;
    }

    public ValueInfoProto Sample { get; }
    public ValueInfoProto Timestep { get; }
    public ValueInfoProto EncoderHiddenStates { get; }

    /// <summary>(height, width) of the latent when the export fixes them.</summary>
    public (int Height, int Width)? FixedLatentSize =>
        FixedDimension(Sample, 2) is { } h && FixedDimension(Sample, 3) is { } w ? (h, w) : null;

    public int? FixedLatentChannels => FixedDimension(Sample, 1);

    /// <summary>The batch when the export fixes it; null when the batch axis is symbolic.</summary>
    public int? FixedBatch => FixedDimension(Sample, 0);

    private static int? FixedDimension(ValueInfoProto value, int axis) =>
        value.Type.TensorType.Shape?.Dim is { } dims
        && axis < dims.Count
        && dims[axis].ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
        && dims[axis].DimValue > 0
            ? (int)dims[axis].DimValue
            : null;

    /// <summary>True when any input dimension is symbolic (a dynamic-axes export).</summary>
    public bool IsDynamic =>
        new[] { Sample, Timestep, EncoderHiddenStates }.Any(v =>
            v.Type.TensorType.Shape?.Dim.Any(d =>
                d.ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
            ) ?? true
        );

    /// <summary>
    /// Values for the named symbolic dimensions of the inputs (the export's names: batch, height, width,
    /// sequence…), for a session that runs at one size only: given them, ONNX Runtime plans the graph with concrete
    /// shapes, and creates a dynamic guidance graph's session far faster than with symbolic ones (README,
    /// Performance). The batch is left symbolic when <paramref name="batch"/> is null; a name asked for two different
    /// values is left out.
    /// </summary>
    public IReadOnlyDictionary<string, long> FixedDimensions(int? batch, int latentHeight, int latentWidth, int tokens)
    {
        var values = new Dictionary<string, long>();
        var conflicting = new HashSet<string>();
        void Fix(ValueInfoProto input, int axis, long? value)
        {
            if (value is null || input.Type.TensorType.Shape?.Dim is not { } dims || axis >= dims.Count)
                return;
            if (dims[axis].ValueCase != TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam)
                return;
            var name = dims[axis].DimParam;
            if (values.TryGetValue(name, out var known) && known != value)
                conflicting.Add(name);
            values[name] = value.Value;
        }
        Fix(Sample, 0, batch);
        Fix(Sample, 2, latentHeight);
        Fix(Sample, 3, latentWidth);
        Fix(EncoderHiddenStates, 0, batch);
        Fix(EncoderHiddenStates, 1, tokens);
        Fix(Timestep, 0, batch);
        foreach (var name in conflicting)
            values.Remove(name);
        return values;
    }

    public static UnetSignature Read(OnnxGraph graph)
    {
        ValueInfoProto Find(string name) =>
            graph.Graph.Input.FirstOrDefault(i => i.Name == name)
            ?? throw new InvalidDataException(
                $"The UNet has no input '{name}' (inputs: {string.Join(", ", graph.Graph.Input.Select(i => i.Name))}); "
                    + "expected a diffusers-style export with sample, timestep and encoder_hidden_states."
            );
        return new UnetSignature(Find(SampleName), Find(TimestepName), Find(EncoderHiddenStatesName));
    }

    /// <summary>Concrete input shapes: declared sizes where fixed, the probe size where symbolic.</summary>
    public Dictionary<string, long[]> ConcreteShapes(UnetProbeSize size)
    {
        long[] Resolve(ValueInfoProto v, Func<int, long> fallback)
        {
            var dims = v.Type.TensorType.Shape?.Dim ?? [];
            return dims.Select(
                    (d, i) =>
                        d.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue
                            ? d.DimValue
                            : fallback(i)
                )
                .ToArray();
        }
        return new Dictionary<string, long[]>
        {
            [SampleName] = Resolve(Sample, i => i switch
                {
                    0 => size.Batch,
                    1 => 4,
                    2 => size.LatentHeight,
                    _ => size.LatentWidth,
                }),
            [TimestepName] = Resolve(Timestep, _ => size.Batch),
            [EncoderHiddenStatesName] = Resolve(EncoderHiddenStates, i => i switch
                {
                    0 => size.Batch,
                    1 => size.Tokens,
                    _ => 768,
                }),
        };
    }

    /// <summary>
    /// Deterministic inputs of the given shapes (timestep 500; seeded values elsewhere), typed as declared.
    /// </summary>
    public Dictionary<string, OrtValue> CreateInputs(IReadOnlyDictionary<string, long[]> shapes, int seed = 0)
    {
        var random = new Random(seed);
        var result = new Dictionary<string, OrtValue>();
        foreach (var v in new[] { Sample, Timestep, EncoderHiddenStates })
        {
            var shape = shapes[v.Name];
            var count = (int)shape.Aggregate(1L, (p, d) => p * d);
            var values = Enumerable
                .Range(0, count)
                .Select(_ => v == Timestep ? 500.0 : random.NextDouble() * 2 - 1)
                .ToArray();
            result[v.Name] = CreateTensor(v.Type.TensorType.ElemType, values, shape, v.Name);
        }
        return result;
    }

    public static OrtValue CreateTensor(int elemType, double[] values, long[] shape, string name) =>
        elemType switch
        {
            TensorValues.Float => OrtValue.CreateTensorValueFromMemory(values.Select(x => (float)x).ToArray(), shape),
            TensorValues.Double => OrtValue.CreateTensorValueFromMemory(values, shape),
            TensorValues.Float16 => OrtValue.CreateTensorValueFromMemory(
                values.Select(x => (Float16)(float)x).ToArray(),
                shape
            ),
            TensorValues.Int64 => OrtValue.CreateTensorValueFromMemory(values.Select(x => (long)x).ToArray(), shape),
            TensorValues.Int32 => OrtValue.CreateTensorValueFromMemory(values.Select(x => (int)x).ToArray(), shape),
            _ => throw new NotSupportedException(
                $"Input '{name}' has element type {elemType}; only float, "
                    + "double, float16, int64 and int32 inputs are supported."
            ),
        };
}
