using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>The loss tensor and the gradients it seeds (see <see cref="AttentionLoss"/>).</summary>
/// <param name="Loss">The scalar loss, shape [] in the loss type.</param>
/// <param name="Seeds">For each map A, the tensor holding ∂loss/∂A up to <paramref name="GradientScale"/>.</param>
/// <param name="GradientScale">A factor the gradient with respect
/// to the sample still needs (1 when the seeds are exact).</param>
public sealed record AttentionLossTerms(string Loss, IReadOnlyDictionary<string, string> Seeds, double GradientScale);

/// <summary>
/// pix2pix-zero's cross-attention loss (DESIGN.md §1.2 step 6) emitted into a graph, with its gradient written by
/// hand beside it: <c>L = Σ_layers mean over (B·heads) rows of Σ_{HW,tokens} (A − A_ref)²</c>, and
/// <c>∂L/∂A = 2 (A − A_ref) / rows</c> per layer, which seeds the reverse pass instead of differentiating the loss op
/// by op. One reference input <c>attn_ref_NN</c> per map is added to the graph.
/// </summary>
public static class AttentionLoss
{
    public static string ReferenceInput(int index) => $"attn_ref_{index:00}";

    /// <param name="maps">The attention maps with the index that names their reference input.</param>
    public static AttentionLossTerms Emit(
        OnnxGraph graph,
        IReadOnlyList<(string Map, int Index)> maps,
        TensorShapes shapes,
        TensorTypes types
    )
    {
        var e = new GraphEmitter(graph, "loss");
        var lossType = maps.Any(m => types.Of(m.Map) == TensorValues.Double) ? TensorValues.Double : TensorValues.Float;
        var terms = new List<string>();
        var diffs = new List<(string Map, string Diff, string Rows, long RowCount)>();
        foreach (var (map, index) in maps)
        {
            var shape = shapes[map];
            var type = types.Of(map);
            var reference = AddReferenceInput(graph, index, type, shape, shapes.Dynamic);
            types.Set(reference, type);
            shapes.Set(reference, shape);

            var a = Upcast(e, types, shapes, map, lossType);
            var diff = e.Sub(a, Upcast(e, types, shapes, reference, lossType));
            var rank = shape.Length;
            // The mean over the rows (all leading axes: B·heads, or B and heads) of each row's Σ over (HW, tokens) is
            // the Σ over everything divided by the row count: one whole-tensor ReduceSumSquare, which ONNX Runtime
            // runs faster than a reduction over the last two axes.
            var rowCount = shape[..^2].Aggregate(1L, (p, n) => p * n);
            var rows = shapes.Dynamic
                ? e.Cast(
                    e.Node("ReduceProd", [e.ShapeSlice(diff, 0, rank - 2)], GraphEmitter.Int("keepdims", 0)),
                    lossType
                )
                : e.Scalar(rowCount, lossType);
            var term = e.Div(
                e.ReduceSumSquare(diff, Enumerable.Range(0, rank).Select(i => (long)i).ToArray(), keepDims: false),
                rows
            );
            shapes.Set(diff, shape);
            shapes.Set(term, []);
            terms.Add(term);
            diffs.Add((a, diff, rows, rowCount));
        }
        var loss = terms.Count == 1 ? terms[0] : e.Node("Sum", terms);
        shapes.Set(loss, []);

        // When every layer has the same number of rows (B·heads), 2/rows scales ∂loss/∂sample once (the backward
        // pass is linear in its seeds) instead of every map.
        var rowCounts = diffs.Select(d => d.RowCount).Distinct().ToArray();
        var scaleOnce = !shapes.Dynamic && rowCounts.Length == 1;
        var seeds = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (map, diff, rows, _) in diffs)
        {
            seeds[map] = scaleOnce ? diff : e.Mul(diff, e.Div(e.Scalar(2.0, lossType), rows));
            shapes.Set(seeds[map], shapes[map]);
        }
        return new AttentionLossTerms(loss, seeds, scaleOnce ? 2.0 / rowCounts[0] : 1.0);
    }

    private static string Upcast(GraphEmitter e, TensorTypes types, TensorShapes shapes, string tensor, int lossType)
    {
        if (types.Of(tensor) == lossType)
            return tensor;
        var cast = e.Cast(tensor, lossType);
        shapes.Set(cast, shapes[tensor]);
        return cast;
    }

    private static string AddReferenceInput(OnnxGraph graph, int index, int type, long[] shape, bool dynamic)
    {
        var name = graph.Reserve(ReferenceInput(index));
        var tensorType = new TypeProto.Types.Tensor { ElemType = type, Shape = new TensorShapeProto() };
        for (var i = 0; i < shape.Length; i++)
            tensorType.Shape.Dim.Add(
                dynamic
                    ? new TensorShapeProto.Types.Dimension { DimParam = $"attn_{index:00}_d{i}" }
                    : new TensorShapeProto.Types.Dimension { DimValue = shape[i] }
            );
        graph.Graph.Input.Add(
            new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = tensorType },
            }
        );
        return name;
    }
}
