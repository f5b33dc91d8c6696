using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Forward rewrite of the compiled graphs: each <see cref="AttentionBlock"/> (self-attention) is computed in chunks of
/// rows along its B·heads axis and the chunks' outputs are concatenated. Rows are independent, so the values are
/// the same; but ONNX Runtime runs one chunk to its end before the next, so only a chunk's scores and map are alive
/// at once instead of two 1 GB tensors per layer at SD's 4096 tokens with the CFG batch.
/// </summary>
public static class ChunkedAttention
{
    /// <summary>At SD's 16 rows (CFG batch × 8 heads), 8 chunks of 2 rows: 134 MB per map at 512×512.</summary>
    public const int MaxChunks = 8;

    /// <summary>
    /// Rewrites every block with more than one row; returns how many. Measured shapes are set for the new tensors.
    /// </summary>
    public static int Apply(OnnxGraph graph, TensorShapes shapes)
    {
        var index = new GraphIndex(graph);
        var blocks = graph
            .Graph.Node.Select(n => AttentionBlock.At(index, shapes, n))
            .OfType<AttentionBlock>()
            .ToList();
        var emit = new GraphEmitter(graph, "chunk");
        var count = 0;
        foreach (var block in blocks)
        {
            var rows = shapes[block.Q][0];
            var size = (rows + Math.Min(rows, MaxChunks) - 1) / Math.Min(rows, MaxChunks);
            var chunks = (int)((rows + size - 1) / size);
            if (chunks <= 1 || shapes[block.KeyTransposed][0] != rows || shapes[block.V][0] != rows)
                continue;
            emit.Scope = block.Softmax.Name;
            var nodes = new[] { block.Scores }
                .Concat(block.Scalings)
                .Append(block.Softmax)
                .Append(block.ValueProduct)
                .ToList();
            var runtimeSize = shapes.Dynamic
                ? emit.Div(emit.Add(emit.ShapeSlice(block.Q, 0, 1), emit.Int64s(chunks - 1)), emit.Int64s(chunks))
                : null;
            var outputs = new List<string>();
            for (var i = 0; i < chunks; i++)
            {
                var (start, end) = runtimeSize is null
                    ? (emit.Int64s(i * size), emit.Int64s((i + 1) * size))
                    : (emit.Mul(runtimeSize, emit.Int64s(i)), emit.Mul(runtimeSize, emit.Int64s(i + 1)));
                var chunkRows = Math.Clamp(rows - i * size, 0, size);
                string Part(string tensor)
                {
                    var part = emit.Slice(tensor, start, end, emit.Int64s(0));
                    shapes.Set(part, [chunkRows, .. shapes[tensor][1..]]);
                    return part;
                }
                var renamed = new Dictionary<string, string>(StringComparer.Ordinal)
                {
                    [block.Q] = Part(block.Q),
                    [block.KeyTransposed] = Part(block.KeyTransposed),
                    [block.V] = Part(block.V),
                };
                foreach (var node in nodes)
                {
                    var clone = node.Clone();
                    clone.Name = graph.UniqueName($"{node.Name}/chunk{i}");
                    for (var k = 0; k < clone.Input.Count; k++)
                        if (renamed.TryGetValue(clone.Input[k], out var input))
                            clone.Input[k] = input;
                    var output = graph.UniqueName($"{node.Output[0]}_chunk{i}");
                    shapes.Set(output, [chunkRows, .. shapes[node.Output[0]][1..]]);
                    renamed[node.Output[0]] = output;
                    clone.Output[0] = output;
                    graph.Graph.Node.Add(clone);
                }
                outputs.Add(renamed[block.O]);
            }
            foreach (var node in nodes)
                graph.Graph.Node.Remove(node);
            var concat = new NodeProto
            {
                OpType = "Concat",
                Name = graph.UniqueName($"{block.ValueProduct.Name}/chunks"),
            };
            concat.Input.AddRange(outputs);
            concat.Output.Add(block.O);
            concat.Attribute.Add(GraphEmitter.Int("axis", 0));
            graph.Graph.Node.Add(concat);
            count++;
        }
        if (count > 0)
            graph.SortTopologically();
        return count;
    }
}
