using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// <see cref="GroupNormAsLayerNormalization"/>: GroupNorm as opset-14 exports write it (InstanceNormalization of unit
/// scale and zero bias over [B, groups, ·]) becomes one LayerNormalization with the same values and gradient.
/// </summary>
public class GroupNormAsLayerNormalizationTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Rewritten_group_norm_equals_the_exported_one(bool symbolicShapes)
    {
        var model = new GraphTestModel(14, TensorValues.Float, symbolicShapes);
        var (output, _) = GraphTestBlocks.GroupNorm(model);
        model.Output(output);
        var original = model.Build();
        var rewritten = original.Clone();
        var shapes = GraphRunner.Measure(original, model);

        OpsetDeclaration.Apply(rewritten);
        var count = GroupNormAsLayerNormalization.Apply(rewritten, shapes, new TensorTypes(rewritten));

        Assert.Equal(1, count);
        Assert.DoesNotContain(rewritten.Graph.Node, n => n.OpType == "InstanceNormalization");
        Assert.Single(rewritten.Graph.Node, n => n.OpType == "LayerNormalization");
        var expected = GraphRunner.Run(original, model, [output])[0];
        var actual = GraphRunner.Run(rewritten, model, [output])[0];
        var error = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(error <= 1e-5, $"rewritten vs exported GroupNorm: max abs error {error:E3}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Gradient_through_the_rewritten_group_norm_matches_central_finite_differences(bool symbolicShapes)
    {
        var model = new GraphTestModel(14, TensorValues.Float, symbolicShapes);
        var (output, wrt) = GraphTestBlocks.GroupNorm(model);
        model.Output(output);

        var result = GraphGradientCheck.Run(model, output, wrt);

        Assert.DoesNotContain(result.Compiled.Graph.Node, n => n.OpType == "InstanceNormalization");
        Assert.Contains(result.Compiled.Graph.Node, n => n.OpType == "LayerNormalization");
        Assert.True(result.MaxAbsGradient > 1e-3, "the gradient is ~0, the check would prove nothing");
        Assert.True(
            result.MaxAbsError <= 5e-3 * Math.Max(1, result.MaxAbsGradient),
            $"max |analytic − finite difference| = {result.MaxAbsError:E3} "
                + $"over {result.Checked} elements, max |grad| = {result.MaxAbsGradient:E3}"
        );
    }

    public static TheoryData<string> NotGroupNorms() => ["LearnedScale", "NonZeroBias", "Float64", "Opset14"];

    [Theory]
    [MemberData(nameof(NotGroupNorms))]
    public void Instance_normalization_that_is_not_an_exported_group_norm_is_left_as_it_is(string variant)
    {
        var model = new GraphTestModel(
            14,
            variant == "Float64" ? TensorValues.Double : TensorValues.Float,
            dynamic: false
        );
        var x = model.Input("x", 2, 3, 4);
        var scale = variant == "LearnedScale" ? model.Weight("s", 3) : model.Weight("s", [1.0, 1.0, 1.0], [3]);
        var bias = variant == "NonZeroBias" ? model.Weight("b", 3) : model.Weight("b", [0.0, 0.0, 0.0], [3]);
        model.Node("InstanceNormalization", [x, scale, bias], "y", Float("epsilon", 1e-5f));
        model.Output("y");
        var graph = model.Build();
        // Set by hand: ONNX Runtime has no float64 InstanceNormalization to measure with.
        var shapes = new TensorShapes(dynamic: false);
        shapes.Set(x, [2, 3, 4]);
        shapes.Set("y", [2, 3, 4]);
        if (variant != "Opset14")
            OpsetDeclaration.Apply(graph);

        Assert.Equal(0, GroupNormAsLayerNormalization.Apply(graph, shapes, new TensorTypes(graph)));
        Assert.Single(graph.Graph.Node, n => n.OpType == "InstanceNormalization");
    }
}
