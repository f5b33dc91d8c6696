namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>A gradient rule: from the gradients of a node's outputs, contributes the gradients of its inputs.</summary>
public delegate void GradientRule(GradientContext context);

/// <summary>
/// The registry of per-op gradient rules, one entry per ONNX op (as ONNX Runtime's training gradient-builder registry
/// and PyTorch's derivatives table keep them). Composite patterns that are differentiated as a whole are matched
/// before the reverse pass by <see cref="GradientPatterns"/>; an op missing here fails the compile with its name.
/// </summary>
public static class GradientRules
{
    private static readonly Dictionary<string, GradientRule> Rules = new(StringComparer.Ordinal)
    {
        ["Identity"] = ElementwiseRules.Identity,
        ["Dropout"] = ElementwiseRules.Identity,
        ["Cast"] = ElementwiseRules.Cast,
        ["Add"] = ElementwiseRules.Add,
        ["Sum"] = ElementwiseRules.Sum,
        ["Sub"] = ElementwiseRules.Sub,
        ["Mul"] = ElementwiseRules.Mul,
        ["Div"] = ElementwiseRules.Div,
        ["Pow"] = ElementwiseRules.Pow,
        ["Where"] = ElementwiseRules.Where,
        ["Neg"] = ElementwiseRules.Neg,
        ["Sqrt"] = ElementwiseRules.Sqrt,
        ["Reciprocal"] = ElementwiseRules.Reciprocal,
        ["Exp"] = ElementwiseRules.Exp,
        ["Log"] = ElementwiseRules.Log,
        ["Sigmoid"] = ElementwiseRules.Sigmoid,
        ["Tanh"] = ElementwiseRules.Tanh,
        ["Erf"] = ElementwiseRules.Erf,
        ["Relu"] = ElementwiseRules.Relu,
        ["MatMul"] = LinearRules.MatMul,
        ["Gemm"] = LinearRules.Gemm,
        ["Conv"] = LinearRules.Conv,
        ["Softmax"] = NormalizationRules.Softmax,
        ["InstanceNormalization"] = NormalizationRules.InstanceNormalization,
        ["LayerNormalization"] = NormalizationRules.LayerNormalization,
        ["ReduceMean"] = NormalizationRules.Reduce,
        ["ReduceSum"] = NormalizationRules.Reduce,
        ["Reshape"] = DataMovementRules.Reshape,
        ["Flatten"] = DataMovementRules.Reshape,
        ["Squeeze"] = DataMovementRules.Reshape,
        ["Unsqueeze"] = DataMovementRules.Reshape,
        ["Expand"] = DataMovementRules.Expand,
        ["Transpose"] = DataMovementRules.Transpose,
        ["Concat"] = DataMovementRules.Concat,
        ["Split"] = DataMovementRules.Split,
        ["Slice"] = DataMovementRules.Slice,
        ["Resize"] = DataMovementRules.Resize,
    };

    /// <summary>The ops that have a rule.</summary>
    public static IReadOnlyCollection<string> Ops => Rules.Keys;

    /// <summary>The rule of a default-domain op; fails with the op's name when there is none.</summary>
    public static GradientRule For(GradientContext context)
    {
        var node = context.Node;
        return node.Domain is "" or "ai.onnx" && Rules.TryGetValue(node.OpType, out var rule)
            ? rule
            : throw context.Unsupported();
    }
}
