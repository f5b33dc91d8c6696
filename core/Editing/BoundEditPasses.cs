using System.Numerics.Tensors;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Editing;

/// <summary>
/// The step's runs through ONNX Runtime I/O bindings over buffers allocated once per edit, typed as each graph
/// declares them (fp32 or fp16; the timestep as declared), and bound once: each step only refills the latent-sized
/// inputs and runs. The probe writes its noise and its maps into them; each guidance run reads its rows of those same
/// maps (views, no gather) and its rows of the text, and writes its loss and its rows of the gradient; the UNet run
/// reads the guided pair and writes the noise buffer again. The maps live in <see cref="OnnxModel.DeviceMemory"/> (a
/// CUDA session's device memory), so they never cross to the host; the sample, text, timestep, noise, loss and
/// gradient are latent-sized and live on the host, where the editor's arithmetic reads them.
/// </summary>
internal sealed class BoundEditPasses : IEditPasses
{
    // The CFG pair [negative, conditioned] every run of the method takes.
    private const int Pair = 2;

    private readonly AttentionProbe _probe;
    private readonly GuidanceModel _guidance;
    private readonly int _perRun;
    private readonly List<IDisposable> _owned = [];
    private readonly BoundTensor _sample;
    private readonly BoundTensor _timestep;
    private readonly BoundTensor _noise;
    private readonly BoundTensor _guidanceSample;
    private readonly BoundTensor _guidanceTimestep;
    private readonly BoundTensor _gradient;
    private readonly BoundTensor[] _losses;
    private readonly OrtIoBinding _reference;
    private readonly OrtIoBinding[] _unet;
    private readonly OrtIoBinding[][] _guide;
    private readonly float[] _pair;
    private readonly float[] _noiseValues;
    private readonly string _referenceTag;
    private readonly string _guidanceTag;

    /// <summary>
    /// Whether these graphs can run bound: the plain noise comes from the probe itself (as the pipeline runs it), the
    /// probe takes the pair at once and the guidance graph whole runs of rows (a dynamic batch, or a fixed one equal to
    /// the run), and the guidance takes the maps in the element type the probe writes them. Other exports run on
    /// <see cref="ManagedEditPasses"/>.
    /// </summary>
    public static bool Supports(AttentionProbe probe, GuidanceModel guidance, INoisePredictor unet) =>
        ReferenceEquals(unet, probe)
        && probe.FixedBatch is null or Pair
        && (guidance.FixedBatch is null || guidance.FixedBatch == RowsPerRun(guidance))
        && probe
            .MapOutputs.Zip(guidance.ReferenceInputs)
            .All(p => probe.OutputType(p.First) == guidance.InputType(p.Second))
        && probe.MapOutputs.Count == guidance.ReferenceInputs.Count;

    private static int RowsPerRun(GuidanceModel guidance) => Math.Min(guidance.RowsPerRun ?? Pair, Pair);

    public BoundEditPasses(
        AttentionProbe probe,
        GuidanceModel guidance,
        int[] latentShape,
        DenseTensor<float> referenceContext,
        IReadOnlyList<DenseTensor<float>> editContexts
    )
    {
        _probe = probe;
        _guidance = guidance;
        _perRun = RowsPerRun(guidance);
        if (Pair % _perRun != 0)
            throw new ArgumentException($"a pair of rows does not split into runs of {_perRun}");
        _referenceTag = probe.AllOutputsTag;
        _guidanceTag = guidance.RunTag;
        int[] pairShape = [Pair, .. latentShape[1..]];
        var latentSize = latentShape.Aggregate(1, (n, d) => n * d);
        _pair = new float[Pair * latentSize];
        _noiseValues = new float[Pair * latentSize];
        try
        {
            var host = OrtAllocator.DefaultInstance;
            _sample = Own(new BoundTensor(host, probe.SampleType, Longs(pairShape)));
            _timestep = Own(probe.TimestepTensor(Pair));
            _noise = Own(new BoundTensor(host, probe.OutputType(probe.NoiseOutput), Longs(pairShape)));
            var deviceAllocator = Own(probe.DeviceAllocator());
            var mapShapes = probe.MapShapes(Pair, pairShape, referenceContext.Dimensions.ToArray());
            var maps = probe
                .MapOutputs.Select(
                    (name, i) => Own(new BoundTensor(deviceAllocator, probe.OutputType(name), mapShapes[i]))
                )
                .ToArray();
            _guidanceSample = Own(new BoundTensor(host, guidance.SampleType, Longs([_perRun, .. latentShape[1..]])));
            _guidanceTimestep = Own(guidance.TimestepTensor(_perRun));
            _gradient = Own(new BoundTensor(host, guidance.OutputType(guidance.GradientOutput), Longs(pairShape)));
            var runs = Pair / _perRun;
            _losses = Enumerable
                .Range(0, runs)
                .Select(_ => Own(new BoundTensor(host, guidance.OutputType(guidance.LossOutput), guidance.LossShape)))
                .ToArray();

            _reference = Own(probe.CreateBinding());
            probe.BindUnetInputs(
                _reference,
                _sample.Value,
                _timestep.Value,
                Text(probe.ContextType, referenceContext).Value
            );
            _reference.BindOutput(probe.NoiseOutput, _noise.Value);
            foreach (var (name, map) in probe.MapOutputs.Zip(maps))
                _reference.BindOutput(name, map.Value);

            _unet = new OrtIoBinding[editContexts.Count];
            _guide = new OrtIoBinding[editContexts.Count][];
            for (var k = 0; k < editContexts.Count; k++)
            {
                _unet[k] = Own(probe.CreateBinding());
                probe.BindUnetInputs(
                    _unet[k],
                    _sample.Value,
                    _timestep.Value,
                    Text(probe.ContextType, editContexts[k]).Value
                );
                _unet[k].BindOutput(probe.NoiseOutput, _noise.Value);
                var text = Text(guidance.ContextType, editContexts[k]);
                _guide[k] = new OrtIoBinding[runs];
                for (var j = 0; j < runs; j++)
                {
                    var binding = _guide[k][j] = Own(guidance.CreateBinding());
                    guidance.BindUnetInputs(
                        binding,
                        _guidanceSample.Value,
                        _guidanceTimestep.Value,
                        text.Rows(Pair, j * _perRun, _perRun)
                    );
                    foreach (var (name, map) in guidance.ReferenceInputs.Zip(maps))
                        binding.BindInput(name, map.Rows(Pair, j * _perRun, _perRun));
                    binding.BindOutput(guidance.LossOutput, _losses[j].Value);
                    binding.BindOutput(guidance.GradientOutput, _gradient.Rows(Pair, j * _perRun, _perRun));
                }
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ReadOnlySpan<float> Reference(ReadOnlySpan<float> latent, int timestep)
    {
        WritePair(_sample, latent);
        WriteTimestep(_timestep, timestep);
        _probe.Run(_reference, _referenceTag, Pair);
        return ReadNoise();
    }

    public float Guide(int edit, ReadOnlySpan<float> latent, int timestep, Span<float> gradient)
    {
        var rows = _pair.AsSpan(0, _perRun * latent.Length);
        for (var r = 0; r < _perRun; r++)
            latent.CopyTo(rows[(r * latent.Length)..]);
        TensorConversion.Write(_guidanceSample.Value, _guidanceSample.Type, rows);
        WriteTimestep(_guidanceTimestep, timestep);
        // The loss is a mean over the pair's rows: each run's loss and gradient count for its share of the rows.
        var share = (float)_perRun / Pair;
        var loss = 0f;
        Span<float> runLoss = stackalloc float[1];
        foreach (var (binding, lossTensor) in _guide[edit].Zip(_losses))
        {
            _guidance.Run(binding, _guidanceTag, _perRun);
            TensorConversion.Read(
                lossTensor.Value,
                lossTensor.Type,
                runLoss,
                _guidance.LossOutput,
                _guidance.ModelPath
            );
            loss += runLoss[0] * share;
        }
        TensorConversion.Read(_gradient.Value, _gradient.Type, gradient, _guidance.GradientOutput, _guidance.ModelPath);
        TensorPrimitives.Multiply(gradient, share, gradient);
        return loss;
    }

    public ReadOnlySpan<float> Noise(int edit, ReadOnlySpan<float> guided, int timestep)
    {
        TensorConversion.Write(_sample.Value, _sample.Type, guided);
        WriteTimestep(_timestep, timestep);
        _probe.Run(_unet[edit], _probe.NoiseOutput, Pair);
        return ReadNoise();
    }

    public void Dispose()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
            _owned[i].Dispose();
        _owned.Clear();
    }

    private ReadOnlySpan<float> ReadNoise()
    {
        TensorConversion.Read(_noise.Value, _noise.Type, _noiseValues, _probe.NoiseOutput, _probe.ModelPath);
        return _noiseValues;
    }

    private void WritePair(BoundTensor tensor, ReadOnlySpan<float> latent)
    {
        LatentMath.Twice(latent, _pair);
        TensorConversion.Write(tensor.Value, tensor.Type, _pair);
    }

    private static void WriteTimestep(BoundTensor tensor, int timestep)
    {
        Span<float> values = stackalloc float[tensor.Shape.Length == 0 ? 1 : (int)tensor.Shape[0]];
        values.Fill(timestep);
        TensorConversion.Write(tensor.Value, tensor.Type, values);
    }

    private BoundTensor Text(TensorElementType type, DenseTensor<float> context)
    {
        var tensor = Own(new BoundTensor(OrtAllocator.DefaultInstance, type, Longs(context.Dimensions.ToArray())));
        TensorConversion.Write(tensor.Value, type, context.Buffer.Span);
        return tensor;
    }

    private T Own<T>(T disposable)
        where T : IDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    private static long[] Longs(int[] shape) => Array.ConvertAll(shape, d => (long)d);
}
