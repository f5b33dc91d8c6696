using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// <see cref="AttentionLoss"/>: L = Σ_maps Σ (A − A_ref)² / rows (rows: the product of all axes but the last two),
/// with its hand-written seeds 2(A − A_ref)/rows, up to <see cref="AttentionLossTerms.GradientScale"/>.
/// </summary>
public class AttentionLossTests
{
    private const int F64 = TensorValues.Double;

    // Two maps from x [3, 3, 4]: [3, 3, 5] (3 rows) and either
    // [3, 3, 6] (3 rows, the same count) or [3, 3, 3, 2] (9 rows).
    public static TheoryData<bool, bool> Cases() =>
        new()
        {
            { false, true },
            { false, false },
            { true, true },
            { true, false },
        };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Loss_seeds_and_gradient_match_an_independent_computation_and_finite_differences(
        bool symbolicShapes,
        bool sameRows
    )
    {
        var m = new GraphTestModel(14, F64, symbolicShapes);
        var x = m.Input("x", 3, 3, 4);
        var a0 = m.Node("Softmax", [m.Node("MatMul", [x, m.Weight("w0", 4, 5)], "s0")], "a0", Int("axis", -1));
        var s1 = m.Node("MatMul", [x, m.Weight("w1", 4, 6)], "s1");
        var a1 = m.Node(
            "Softmax",
            [sameRows ? s1 : m.Node("Reshape", [s1, m.Ints("heads", 0, 0, 3, 2)], "s1_heads")],
            "a1",
            Int("axis", -1)
        );
        m.Output(a0);
        m.Output(a1);
        var graph = m.Build();
        var shapes = GraphRunner.Measure(graph, m);
        var types = new TensorTypes(graph);
        string[] maps = [a0, a1];

        var terms = AttentionLoss.Emit(graph, [(a0, 0), (a1, 1)], shapes, types);
        var grad = ReverseModeDifferentiator.Differentiate(graph, terms.Seeds, x, shapes, types);

        long Rows(string map) => shapes[map][..^2].Aggregate(1L, (p, d) => p * d);
        Assert.Equal(!symbolicShapes && sameRows ? 2.0 / Rows(a0) : 1.0, terms.GradientScale);
        var references = new GraphTestModel(14, F64, symbolicShapes, seed: 5);
        for (var k = 0; k < maps.Length; k++)
            references.Input(AttentionLoss.ReferenceInput(k), shapes[maps[k]]);
        var feeds = new Dictionary<string, (long[] Shape, double[] Values)>(m.Feeds);
        foreach (var (name, feed) in references.Feeds)
            feeds[name] = feed;
        var run = GraphRunner.Run(graph, m, [terms.Loss, grad, a0, a1, terms.Seeds[a0], terms.Seeds[a1]], feeds);

        var expectedLoss = 0.0;
        for (var k = 0; k < maps.Length; k++)
        {
            var (a, r, rows) = (run[2 + k], references.Feeds[AttentionLoss.ReferenceInput(k)].Values, Rows(maps[k]));
            expectedLoss += a.Zip(r, (ai, ri) => (ai - ri) * (ai - ri)).Sum() / rows;
            var expectedSeed = a.Zip(r, (ai, ri) => 2 * (ai - ri) / rows).ToArray();
            var seedError = expectedSeed.Zip(run[4 + k], (e, s) => Math.Abs(e - s * terms.GradientScale)).Max();
            Assert.True(seedError <= 1e-12, $"seed of map {k}: max error {seedError:E3} against 2(A − A_ref)/rows");
        }
        Assert.Single(run[0]);
        Assert.True(
            Math.Abs(run[0][0] - expectedLoss) <= 1e-12 * expectedLoss,
            $"loss {run[0][0]:R}, expected {expectedLoss:R}"
        );

        var analytic = run[1].Select(g => g * terms.GradientScale).ToArray();
        const double h = 1e-6;
        var maxError = 0.0;
        var x0 = m.Feeds[x].Values;
        for (var i = 0; i < x0.Length; i++)
        {
            double LossAt(double delta)
            {
                var shifted = (double[])x0.Clone();
                shifted[i] += delta;
                return GraphRunner.Run(
                    graph,
                    m,
                    [terms.Loss],
                    new Dictionary<string, (long[], double[])>(feeds) { [x] = (m.Feeds[x].Shape, shifted) }
                )[0][0];
            }
            maxError = Math.Max(maxError, Math.Abs((LossAt(h) - LossAt(-h)) / (2 * h) - analytic[i]));
        }
        var maxGradient = analytic.Max(Math.Abs);
        Assert.True(maxGradient > 1e-3, "the gradient is ~0, the check would prove nothing");
        Assert.True(
            maxError <= 1e-6 * Math.Max(1, maxGradient),
            $"max |analytic − finite difference| = {maxError:E3}, max |grad| = {maxGradient:E3}"
        );
    }
}
