using Microsoft.ML.OnnxRuntime;
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

    public static Result Run(
        GraphTestModel model,
        string output,
        string wrt,
        int maxElements = 48,
        DifferentiationOptions? options = null
    )
    {
        var (graph, loss, grad) = Compile(model, output, wrt, options);
        using var session = new InferenceSession(graph.ToBytes());
        var x0 = model.Feeds[wrt].Values;
        var (_, analytic) = Evaluate(session, model, wrt, x0, loss, grad);

        var h = model.ElemType == TensorValues.Double ? 1e-6 : 1e-2;
        var rng = new Random(7);
        var indices = Enumerable.Range(0, x0.Length).OrderBy(_ => rng.Next()).Take(maxElements).ToArray();
        double maxErr = 0,
            maxGrad = analytic.Max(Math.Abs);
        foreach (var i in indices)
        {
            var plus = (double[])x0.Clone();
            var minus = (double[])x0.Clone();
            plus[i] += h;
            minus[i] -= h;
            var fd =
                (
                    Evaluate(session, model, wrt, plus, loss, grad).Loss
                    - Evaluate(session, model, wrt, minus, loss, grad).Loss
                ) / (2 * h);
            maxErr = Math.Max(maxErr, Math.Abs(fd - analytic[i]));
        }
        return new Result(maxErr, maxGrad, indices.Length, graph);
    }

    /// <summary>
    /// The compiled gradient of Σ(y ⊙ R) with respect to <paramref name="wrt"/> at the model's feeds.
    /// </summary>
    public static (double[] Gradient, OnnxGraph Compiled) Gradient(GraphTestModel model, string output, string wrt)
    {
        var (graph, loss, grad) = Compile(model, output, wrt, options: null);
        using var session = new InferenceSession(graph.ToBytes());
        return (Evaluate(session, model, wrt, model.Feeds[wrt].Values, loss, grad).Grad, graph);
    }

    private static (OnnxGraph Graph, string Loss, string Grad) Compile(
        GraphTestModel model,
        string output,
        string wrt,
        DifferentiationOptions? options
    )
    {
        var forwardShapes = GraphRunner.Measure(model.Build(), model);
        var r = model.Weight("R_" + output, model.RandomValues(forwardShapes[output]), forwardShapes[output]);
        var graph = model.Build();
        var emitter = new GraphEmitter(graph, "loss");
        var product = emitter.Mul(output, r);
        var rank = forwardShapes[output].Length;
        var loss =
            rank == 0
                ? product
                : emitter.ReduceSum(product, Enumerable.Range(0, rank).Select(i => (long)i).ToArray(), keepDims: false);
        var shapes = GraphRunner.Measure(graph, model);

        var types = new TensorTypes(graph);
        var grad = ReverseModeDifferentiator.Differentiate(graph, loss, wrt, shapes, types, options);
        graph.Graph.Output.Clear();
        foreach (var o in new[] { loss, grad })
            graph.Graph.Output.Add(
                new ValueInfoProto
                {
                    Name = o,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = types.Of(o) } },
                }
            );
        graph.Prune();
        return (graph, loss, grad);
    }

    private static (double Loss, double[] Grad) Evaluate(
        InferenceSession session,
        GraphTestModel model,
        string wrt,
        double[] x,
        string loss,
        string grad
    )
    {
        var feeds = new Dictionary<string, (long[] Shape, double[] Values)>(model.Feeds)
        {
            [wrt] = (model.Feeds[wrt].Shape, x),
        };
        var values = GraphRunner.Run(session, model.ElemType, feeds, [loss, grad]);
        return (values[0][0], values[1]);
    }
}
