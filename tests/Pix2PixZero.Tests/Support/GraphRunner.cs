using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Runs small in-memory graphs of a <see cref="GraphTestModel"/> with ONNX Runtime, values as float64.
/// </summary>
public static class GraphRunner
{
    /// <summary>
    /// The named tensors of <paramref name="graph"/> (graph outputs
    /// or not) at the model's feeds, or at <paramref name="feeds"/>.
    /// </summary>
    public static double[][] Run(
        OnnxGraph graph,
        GraphTestModel model,
        IReadOnlyList<string> outputs,
        IReadOnlyDictionary<string, (long[] Shape, double[] Values)>? feeds = null
    )
    {
        var fetched = graph.Clone();
        var types = new TensorTypes(fetched);
        fetched.Graph.Output.Clear();
        foreach (var o in outputs)
            fetched.Graph.Output.Add(
                new ValueInfoProto
                {
                    Name = o,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = types.Of(o) } },
                }
            );
        using var session = new InferenceSession(fetched.ToBytes());
        return Run(session, model.ElemType, feeds ?? model.Feeds, outputs);
    }

    public static double[][] Run(
        InferenceSession session,
        int elemType,
        IReadOnlyDictionary<string, (long[] Shape, double[] Values)> feeds,
        IReadOnlyList<string> outputs
    )
    {
        var names = feeds.Keys.ToArray();
        var values = names.Select(n => ToOrt(elemType, feeds[n].Values, feeds[n].Shape)).ToArray();
        try
        {
            using var results = session.Run(new RunOptions(), names, values, outputs.ToArray());
            return results.Select(Read).ToArray();
        }
        finally
        {
            foreach (var v in values)
                v.Dispose();
        }
    }

    /// <summary>
    /// The shapes of every tensor of <paramref name="graph"/> at the model's feeds, symbolic when the model is.
    /// </summary>
    public static TensorShapes Measure(OnnxGraph graph, GraphTestModel model)
    {
        var inputs = model.Feeds.ToDictionary(f => f.Key, f => ToOrt(model.ElemType, f.Value.Values, f.Value.Shape));
        try
        {
            return TensorShapes.Measure(graph, weightsOf: null, inputs, model.Dynamic);
        }
        finally
        {
            foreach (var v in inputs.Values)
                v.Dispose();
        }
    }

    public static OrtValue ToOrt(int elemType, double[] values, long[] shape) =>
        elemType switch
        {
            TensorValues.Double => OrtValue.CreateTensorValueFromMemory(values.ToArray(), shape),
            TensorValues.Float16 => OrtValue.CreateTensorValueFromMemory(
                values.Select(v => (Float16)(float)v).ToArray(),
                shape
            ),
            _ => OrtValue.CreateTensorValueFromMemory(values.Select(v => (float)v).ToArray(), shape),
        };

    public static double[] Read(OrtValue v) =>
        v.GetTensorTypeAndShape().ElementDataType switch
        {
            TensorElementType.Double => v.GetTensorDataAsSpan<double>().ToArray(),
            TensorElementType.Float16 => v.GetTensorDataAsSpan<Float16>()
                .ToArray()
                .Select(f => (double)(float)f)
                .ToArray(),
            TensorElementType.Int64 => v.GetTensorDataAsSpan<long>().ToArray().Select(f => (double)f).ToArray(),
            _ => v.GetTensorDataAsSpan<float>().ToArray().Select(f => (double)f).ToArray(),
        };
}
