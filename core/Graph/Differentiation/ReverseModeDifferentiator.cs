using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>Which optional passes <see cref="ReverseModeDifferentiator"/> runs.</summary>
/// <param name="RecomputeAttention">Recompute self-attention probabilities in the backward pass, in chunks, instead of
/// keeping them from the forward pass (<see cref="SelfAttentionPattern"/>): less memory for one more Q·Kᵀ product per
/// self-attention layer.</param>
public sealed record DifferentiationOptions(bool RecomputeAttention = true)
{
    /// <summary>Told of each fused pattern the reverse pass differentiates as a whole, for reports and tests.</summary>
    public Action<FusedPattern>? PatternApplied { get; init; }
}

/// <summary>
/// Reverse-mode differentiation of a scalar of an ONNX graph with respect to one input, emitted into the same graph
/// as standard ONNX ops valid for the graph's opset. It runs as passes:
/// <list type="number">
/// <item>forward rewrites: <see cref="OpsetDeclaration"/> (13–16 declared 17) and
///   <see cref="GroupNormAsLayerNormalization"/>;</item>
/// <item>pattern fusion: <see cref="GradientPatterns"/> finds the composites differentiated as a whole, among them
///   self-attention, whose backward recomputes its maps (<see cref="SelfAttentionPattern"/>);</item>
/// <item>the reverse pass: nodes on a path from the input to the scalar, last first, each by its pattern or its
///   registered rule (<see cref="GradientRules"/>); integer shape plumbing (Shape, Gather on shapes, …) carries no
///   gradient and is skipped.</item>
/// </list>
/// Gradients are float32 (float64 when the forward values are float64); fp16 forward values are cast up. Weight
/// gradients are never emitted: only the input's.
/// </summary>
public static class ReverseModeDifferentiator
{
    /// <summary>
    /// Appends to <paramref name="graph"/> the nodes computing ∂<paramref name="scalar"/>/∂<paramref name="wrt"/> and
    /// returns the gradient's tensor name (same shape as <paramref name="wrt"/>).
    /// </summary>
    /// <exception cref="NotSupportedException">An op on the
    /// gradient path has no rule; the message names it.</exception>
    public static string Differentiate(
        OnnxGraph graph,
        string scalar,
        string wrt,
        TensorShapes shapes,
        TensorTypes types,
        DifferentiationOptions? options = null
    )
    {
        var run = new Run(graph, wrt, shapes, types, options ?? new DifferentiationOptions());
        run.RequireDependent(scalar);
        var seed = run.Context.Emit.Scalar(1.0, run.Context.GradType(scalar));
        var grad = shapes[scalar].Length == 0 ? seed : run.Context.Emit.Expand(seed, run.Context.ShapeOf(scalar));
        return run.Complete(new Dictionary<string, string> { [scalar] = grad });
    }

    /// <summary>
    /// The same for a scalar L whose gradients are already in the graph for some of its inputs:
    /// <paramref name="seeds"/> maps each such tensor t to the tensor holding ∂L/∂t (t's shape, the gradient's type),
    /// e.g. a loss Σ (A − A_ref)² differentiated by hand to 2(A − A_ref). Only the graph between <paramref name="wrt"/>
    /// and those tensors is differentiated.
    /// </summary>
    public static string Differentiate(
        OnnxGraph graph,
        IReadOnlyDictionary<string, string> seeds,
        string wrt,
        TensorShapes shapes,
        TensorTypes types,
        DifferentiationOptions? options = null
    )
    {
        var run = new Run(graph, wrt, shapes, types, options ?? new DifferentiationOptions());
        foreach (var t in seeds.Keys)
            run.RequireDependent(t);
        return run.Complete(seeds);
    }

    private sealed class Run
    {
        private readonly OnnxGraph _graph;
        private readonly string _wrt;
        private readonly IReadOnlyDictionary<NodeProto, FusedPattern> _patterns;
        private readonly Action<FusedPattern>? _patternApplied;

        public Run(OnnxGraph graph, string wrt, TensorShapes shapes, TensorTypes types, DifferentiationOptions options)
        {
            _graph = graph;
            _wrt = wrt;
            OpsetDeclaration.Apply(graph);
            GroupNormAsLayerNormalization.Apply(graph, shapes, types);
            _patterns = GradientPatterns.Match(graph, shapes, options.RecomputeAttention);
            _patternApplied = options.PatternApplied;
            Context = new GradientContext(graph, shapes, types, graph.ValueDependentsOf(wrt, types));
        }

        public GradientContext Context { get; }

        public void RequireDependent(string tensor)
        {
            if (!Context.DependsOnInput.Contains(tensor))
                throw new InvalidOperationException(
                    $"'{tensor}' does not depend on '{_wrt}'; there is no gradient to compute."
                );
        }

        public string Complete(IReadOnlyDictionary<string, string> seeds)
        {
            var c = Context;
            var onLossSide = _graph.AncestorsOf(seeds.Keys);
            var path = _graph
                .TopologicalOrder()
                .Where(n => n.Input.Any(c.DependsOnInput.Contains) && n.Output.Any(onLossSide.Contains))
                .ToList();
            foreach (var (tensor, grad) in seeds)
                c.Contribute(tensor, grad);

            for (var k = path.Count - 1; k >= 0; k--)
            {
                var node = path[k];
                var outputGrads = node.Output.Select(o => o.Length > 0 ? c.GradientOf(o) : null).ToArray();
                if (outputGrads.All(g => g is null))
                    continue;
                c.Node = node;
                c.OutputGradients = outputGrads;
                c.Emit.Scope = node.Name.Length > 0 ? node.Name : node.OpType;
                if (_patterns.TryGetValue(node, out var pattern))
                {
                    pattern.Differentiate(c);
                    _patternApplied?.Invoke(pattern);
                }
                else
                    GradientRules.For(c)(c);
            }
            c.Emit.Scope = null;
            var gradient = c.GradientOf(_wrt)
                ?? throw new InvalidOperationException(
                    $"No gradient reached '{_wrt}' from '{string.Join("', '", seeds.Keys)}'."
                );
            return gradient;
        }
    }
}
