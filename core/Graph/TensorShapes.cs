using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// Concrete shapes of a graph's tensors, measured by running the graph once on probe inputs (ONNX has no
/// complete static shape inference in .NET). Gradient rules use them only for ranks, broadcast patterns and
/// integer resize factors; when the graph has dynamic axes (<see cref="Dynamic"/>) they emit runtime
/// Shape-based plumbing instead of baking the probe's sizes into the graph.
/// </summary>
public sealed class TensorShapes
{
    private readonly Dictionary<string, long[]> _shapes = new(StringComparer.Ordinal);

    public TensorShapes(bool dynamic) => Dynamic = dynamic;

    /// <summary>True when the source graph has symbolic input dimensions: sizes must be read at run time.</summary>
    public bool Dynamic { get; }

    public long[] this[string tensor] =>
        _shapes.TryGetValue(tensor, out var s)
            ? s
            : throw new InvalidOperationException($"No measured shape for tensor '{tensor}'.");

    public bool Contains(string tensor) => _shapes.ContainsKey(tensor);

    public void Set(string tensor, long[] shape) => _shapes[tensor] = shape;

    public int Rank(string tensor) => this[tensor].Length;

    /// <summary>
    /// Runs <paramref name="graph"/> once with the given inputs and records the shape of every node output through a
    /// Shape node per tensor, so only small int64 vectors are fetched. The Shape nodes are appended in reverse
    /// topological order of the tensors they read: ONNX Runtime orders execution by a reverse depth-first walk from
    /// the graph's leaves, last leaf first, which then runs each Shape right after the node it measures instead of
    /// after the whole graph, and every tensor is freed after its last real consumer as in a plain run. Memory stays
    /// that of one forward pass, not the sum of all activations.
    /// </summary>
    /// <param name="weightsOf">The graph file whose external weights <paramref name="graph"/> reads by the same
    /// locations (its own file, when it was loaded from one); null when every weight is inline.</param>
    public static TensorShapes Measure(
        OnnxGraph graph,
        string? weightsOf,
        IReadOnlyDictionary<string, OrtValue> inputs,
        bool dynamic
    )
    {
        var probe = graph.Clone();
        var g = probe.Graph;
        var tensors = graph.TopologicalOrder().SelectMany(n => n.Output).Where(o => o.Length > 0).Distinct().ToList();
        g.Output.Clear();
        var fetch = new string[tensors.Count];
        for (var k = tensors.Count - 1; k >= 0; k--)
        {
            var shapeName = probe.UniqueName("probe_shape");
            var node = new NodeProto { OpType = "Shape", Name = shapeName };
            node.Input.Add(tensors[k]);
            node.Output.Add(shapeName);
            g.Node.Add(node);
            fetch[k] = shapeName;
        }
        foreach (var name in fetch)
            g.Output.Add(
                new ValueInfoProto
                {
                    Name = name,
                    Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = TensorValues.Int64 } },
                }
            );

        var result = new TensorShapes(dynamic);
        foreach (var i in graph.Graph.Input)
            if (inputs.TryGetValue(i.Name, out var v))
                result.Set(i.Name, v.GetTensorTypeAndShape().Shape);
        foreach (var t in graph.Graph.Initializer)
            result.Set(t.Name, t.Dims.ToArray());

        // Run from memory: nothing is written into the model folder, which may be read-only.
        var folder = weightsOf is null ? null : ExternalWeights.Rebase(probe.Model, weightsOf);
        using var options = MeasurementOptions();
        if (folder is not null)
            options.AddSessionConfigEntry(ExternalWeights.FolderSetting, folder);
        using var session = new InferenceSession(probe.ToBytes(), options);
        var names = inputs.Keys.ToArray();
        using var outputs = session.Run(new RunOptions(), names, names.Select(n => inputs[n]).ToArray(), fetch);
        for (var k = 0; k < tensors.Count; k++)
            result.Set(tensors[k], outputs[k].GetTensorDataAsSpan<long>().ToArray());
        return result;
    }

    /// <summary>
    /// Options for the one measuring run: no graph optimizations and no weight pre-packing, so ONNX Runtime leaves
    /// the external weights memory-mapped and copies none of them (on SD 1.x's UNet, optimizing and pre-packing
    /// copied all 3.4 GB of weights and took longer than the run itself).
    /// </summary>
    public static SessionOptions MeasurementOptions()
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_DISABLE_ALL };
        options.AddSessionConfigEntry("session.disable_prepacking", "1");
        return options;
    }
}
