using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Checks an emitted gradient against central finite differences: the loss is Σ(y ⊙ R) for a random R, its
/// gradient with respect to one input is compiled by <see cref="ReverseModeDifferentiator"/> and run by ONNX Runtime.
/// </summary>
public static class GraphGradientCheck
{
    public sealed record Result(double MaxAbsError, double MaxAbsGradient, int Checked, OnnxGraph Compiled);

    public static Result Run(GraphTestModel model, string output, string wrt, int maxElements = 48)
    {
        var dir = Directory.CreateTempSubdirectory("p2pz-graph-").FullName;
        try
        {
            var (graph, loss, grad) = Compile(model, output, wrt, dir);
            using var session = new InferenceSession(graph.ToBytes());
            var x0 = model.Feeds[wrt].Values;
            var (_, analytic) = Evaluate(session, model, wrt, x0, loss, grad);

            var h = model.ElemType == TensorValues.Double ? 1e-6 : 1e-2;
            var rng = new Random(7);
            var indices = Enumerable.Range(0, x0.Length).OrderBy(_ => rng.Next()).Take(maxElements).ToArray();
            double maxErr = 0, maxGrad = analytic.Max(Math.Abs);
            foreach (var i in indices)
            {
                var plus = (double[])x0.Clone();
                var minus = (double[])x0.Clone();
                plus[i] += h;
                minus[i] -= h;
                var fd = (Evaluate(session, model, wrt, plus, loss, grad).Loss - Evaluate(session, model, wrt, minus, loss, grad).Loss) / (2 * h);
                maxErr = Math.Max(maxErr, Math.Abs(fd - analytic[i]));
            }
            return new Result(maxErr, maxGrad, indices.Length, graph);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>The compiled gradient of Σ(y ⊙ R) with respect to <paramref name="wrt"/> at the model's feeds.</summary>
    public static (double[] Gradient, OnnxGraph Compiled) Gradient(GraphTestModel model, string output, string wrt)
    {
        var dir = Directory.CreateTempSubdirectory("p2pz-graph-").FullName;
        try
        {
            var (graph, loss, grad) = Compile(model, output, wrt, dir);
            using var session = new InferenceSession(graph.ToBytes());
            return (Evaluate(session, model, wrt, model.Feeds[wrt].Values, loss, grad).Grad, graph);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (OnnxGraph Graph, string Loss, string Grad) Compile(GraphTestModel model, string output, string wrt, string dir)
    {
        var forwardShapes = Measure(model.Build(), dir, model);
        var r = model.Weight("R_" + output, model.RandomValues(forwardShapes[output]), forwardShapes[output]);
        var graph = model.Build();
        var emitter = new GraphEmitter(graph, "loss");
        var product = emitter.Mul(output, r);
        var rank = forwardShapes[output].Length;
        var loss = rank == 0 ? product : emitter.ReduceSum(product, Enumerable.Range(0, rank).Select(i => (long)i).ToArray(), keepDims: false);
        var shapes = Measure(graph, dir, model);

        var types = new TensorTypes(graph);
        var grad = ReverseModeDifferentiator.Differentiate(graph, loss, wrt, shapes, types);
        graph.Graph.Output.Clear();
        foreach (var o in new[] { loss, grad })
            graph.Graph.Output.Add(new ValueInfoProto
            {
                Name = o,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = types.Of(o) } },
            });
        graph.Prune();
        return (graph, loss, grad);
    }

    private static TensorShapes Measure(OnnxGraph graph, string dir, GraphTestModel model)
    {
        var inputs = model.Feeds.ToDictionary(f => f.Key, f => ToOrt(model.ElemType, f.Value.Values, f.Value.Shape));
        try { return TensorShapes.Measure(graph, dir, inputs, model.Dynamic); }
        finally { foreach (var v in inputs.Values) v.Dispose(); }
    }

    private static (double Loss, double[] Grad) Evaluate(InferenceSession session, GraphTestModel model, string wrt,
        double[] x, string loss, string grad)
    {
        var names = model.Feeds.Keys.ToArray();
        var values = names.Select(n => ToOrt(model.ElemType, n == wrt ? x : model.Feeds[n].Values, model.Feeds[n].Shape)).ToArray();
        try
        {
            using var outputs = session.Run(new RunOptions(), names, values, [loss, grad]);
            return (Read(outputs[0])[0], Read(outputs[1]));
        }
        finally { foreach (var v in values) v.Dispose(); }
    }

    public static OrtValue ToOrt(int elemType, double[] values, long[] shape) => elemType switch
    {
        TensorValues.Double => OrtValue.CreateTensorValueFromMemory(values.ToArray(), shape),
        TensorValues.Float16 => OrtValue.CreateTensorValueFromMemory(values.Select(v => (Float16)(float)v).ToArray(), shape),
        _ => OrtValue.CreateTensorValueFromMemory(values.Select(v => (float)v).ToArray(), shape),
    };

    private static double[] Read(OrtValue v) => v.GetTensorTypeAndShape().ElementDataType switch
    {
        TensorElementType.Double => v.GetTensorDataAsSpan<double>().ToArray(),
        TensorElementType.Float16 => v.GetTensorDataAsSpan<Float16>().ToArray().Select(f => (double)(float)f).ToArray(),
        _ => v.GetTensorDataAsSpan<float>().ToArray().Select(f => (double)f).ToArray(),
    };
}
