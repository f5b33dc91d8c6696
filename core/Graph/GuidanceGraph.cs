using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// The cross-attention guidance graph of DESIGN.md §1.2 step 6: inputs sample, timestep, encoder_hidden_states and
/// one reference map attn_ref_NN per layer; outputs
/// <c>loss = Σ_layers mean over (B·heads) rows of Σ_{HW,tokens} (A − A_ref)²</c> (shape [1], fp32) and
/// <c>grad_sample = ∂loss/∂sample</c> (fp32, shape of sample). Everything after the last cross-attention softmax
/// is pruned away.
/// </summary>
public static class GuidanceGraph
{
    public const string LossOutput = "loss";
    public const string GradientOutput = "grad_sample";

    public static string ReferenceInput(int index) => $"attn_ref_{index:00}";

    public static OnnxGraph Build(OnnxGraph unet, UnetSignature signature, IReadOnlyList<CrossAttentionLayer> layers, TensorShapes shapes)
    {
        var graph = unet.Clone();
        var types = new TensorTypes(graph);
        var e = new GraphEmitter(graph, "loss");
        var terms = new List<string>();
        var diffs = new List<(string Map, string Diff, string Rows, long RowCount)>();
        var lossType = layers.Any(l => types.Of(l.Output) == TensorValues.Double) ? TensorValues.Double : TensorValues.Float;
        foreach (var layer in layers)
        {
            var a = layer.Output;
            var shape = shapes[a];
            var type = types.Of(a);
            var reference = AddReferenceInput(graph, layer.Index, type, shape, shapes.Dynamic);
            types.Set(reference, type);
            shapes.Set(reference, shape);

            var upcast = Upcast(e, types, shapes, a, lossType);
            var diff = e.Sub(upcast, Upcast(e, types, shapes, reference, lossType));
            var rank = shape.Length;
            // The mean over the rows (all leading axes: B·heads, or B and heads) of each row's Σ over (HW, tokens) is
            // the Σ over everything divided by the row count: one whole-tensor ReduceSumSquare, which ONNX Runtime
            // runs faster than a reduction over the last two axes.
            var rowCount = shape[..^2].Aggregate(1L, (p, n) => p * n);
            var rows = shapes.Dynamic
                ? e.Cast(e.Node("ReduceProd", [e.ShapeSlice(diff, 0, rank - 2)], GraphEmitter.Int("keepdims", 0)), lossType)
                : e.Scalar(rowCount, lossType);
            var term = e.Div(e.ReduceSumSquare(diff, Enumerable.Range(0, rank).Select(i => (long)i).ToArray(), keepDims: false), rows);
            shapes.Set(diff, shape);
            shapes.Set(term, []);
            terms.Add(term);
            diffs.Add((upcast, diff, rows, rowCount));
        }

        var total = terms.Count == 1 ? terms[0] : e.Node("Sum", terms);
        shapes.Set(total, []);
        e.NodeNamed("Reshape", [total, e.Int64s(1)], LossOutput);

        // ∂term/∂A = 2 (A − A_ref) / rows is seeded directly instead of differentiating the loss op by op. When every
        // layer has the same number of rows (B·heads), 2/rows scales ∂loss/∂sample once (the backward pass is linear
        // in its seeds) instead of every map.
        var rowCounts = diffs.Select(d => d.RowCount).Distinct().ToArray();
        var scaleOnce = !shapes.Dynamic && rowCounts.Length == 1;
        var seeds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (map, diff, rows, _) in diffs)
        {
            seeds[map] = scaleOnce ? diff : e.Mul(diff, e.Div(e.Scalar(2.0, lossType), rows));
            shapes.Set(seeds[map], shapes[map]);
        }
        var grad = ReverseModeDifferentiator.Differentiate(graph, seeds, signature.Sample.Name, shapes, types);
        if (scaleOnce) grad = e.Mul(grad, e.Scalar(2.0 / rowCounts[0], lossType));
        e.NodeNamed("Identity", [grad], GradientOutput);

        graph.Graph.Output.Clear();
        graph.Graph.Output.Add(Output(LossOutput, lossType, [new TensorShapeProto.Types.Dimension { DimValue = 1 }]));
        graph.Graph.Output.Add(Output(GradientOutput, lossType, signature.Sample.Type.TensorType.Shape.Dim));
        graph.Prune();
        return graph;
    }

    private static string Upcast(GraphEmitter e, TensorTypes types, TensorShapes shapes, string tensor, int lossType)
    {
        if (types.Of(tensor) == lossType) return tensor;
        var cast = e.Cast(tensor, lossType);
        shapes.Set(cast, shapes[tensor]);
        return cast;
    }

    private static string AddReferenceInput(OnnxGraph graph, int index, int type, long[] shape, bool dynamic)
    {
        var name = graph.Reserve(ReferenceInput(index));
        var tensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Length; i++)
            tensorType.Shape.Dim.Add(dynamic
                ? new TensorShapeProto.Types.Dimension { DimParam = $"attn_{index:00}_d{i}" }
                : new TensorShapeProto.Types.Dimension { DimValue = shape[i] });
        graph.Graph.Input.Add(new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } });
        return name;
    }

    private static ValueInfoProto Output(string name, int type, IEnumerable<TensorShapeProto.Types.Dimension> dims)
    {
        var tensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        tensorType.Shape.Dim.AddRange(dims.Select(d => d.Clone()));
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = tensorType } };
    }
}
