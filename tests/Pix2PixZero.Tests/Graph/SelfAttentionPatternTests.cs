using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Differentiation;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// <see cref="SelfAttentionPattern"/>: self-attention differentiated as a whole, its map P recomputed in row chunks of
/// the B·heads axis instead of kept from the forward pass.
/// </summary>
public class SelfAttentionPatternTests
{
    private const string Map = "p";

    // rows = batch·heads: 9 rows cut into 8 chunks of ⌈9/8⌉ = 2 leave a chunk of 1 row and three empty ones;
    // 16 rows (SD's CFG batch × 8 heads) make 8 chunks of 2.
    public static TheoryData<bool, long, long> Sizes() =>
        new()
        {
            { false, 3, 3 },
            { true, 3, 3 },
            { false, 2, 8 },
            { true, 2, 8 },
        };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Recomputed_self_attention_gradient_matches_central_finite_differences(
        bool symbolicShapes,
        long batch,
        long heads
    )
    {
        var model = new GraphTestModel(14, TensorValues.Double, symbolicShapes);
        var (output, wrt) = GraphTestBlocks.SelfAttention(model, batch, tokens: 6, heads, headDim: 2);
        model.Output(output);
        var applied = new List<FusedPattern>();

        var result = GraphGradientCheck.Run(
            model,
            output,
            wrt,
            options: new DifferentiationOptions { PatternApplied = applied.Add }
        );

        var pattern = Assert.Single(applied.OfType<SelfAttentionPattern>());
        Assert.Equal(Math.Min(batch * heads, SelfAttentionPattern.MaxChunks), pattern.Chunks);
        Assert.True(pattern.Chunks > 1, "the sizes must cut the rows into several chunks");
        // The backward recomputes one map per chunk and never reads the forward's: P's only reader is P·V.
        Assert.Equal(1 + pattern.Chunks, result.Compiled.Graph.Node.Count(n => n.OpType == "Softmax"));
        Assert.Equal("MatMul", Assert.Single(result.Compiled.Consumers()[Map]).OpType);
        Assert.True(result.MaxAbsGradient > 1e-3, "the gradient is ~0, the check would prove nothing");
        Assert.True(
            result.MaxAbsError <= 1e-6 * Math.Max(1, result.MaxAbsGradient),
            $"max |analytic − finite difference| = {result.MaxAbsError:E3} "
                + $"over {result.Checked} elements, max |grad| = {result.MaxAbsGradient:E3}"
        );
    }

    [Fact]
    public void Without_recomputation_the_backward_reads_the_forward_map()
    {
        var model = new GraphTestModel(14, TensorValues.Double, dynamic: false);
        var (output, wrt) = GraphTestBlocks.SelfAttention(model, batch: 3, tokens: 6, heads: 3, headDim: 2);
        model.Output(output);
        var applied = new List<FusedPattern>();

        var result = GraphGradientCheck.Run(
            model,
            output,
            wrt,
            options: new DifferentiationOptions(RecomputeAttention: false) { PatternApplied = applied.Add }
        );

        Assert.DoesNotContain(applied, p => p is SelfAttentionPattern);
        Assert.Equal(1, result.Compiled.Graph.Node.Count(n => n.OpType == "Softmax"));
        Assert.True(result.Compiled.Consumers()[Map].Count > 1, "the per-op rules read P in the backward");
        Assert.True(
            result.MaxAbsError <= 1e-6 * Math.Max(1, result.MaxAbsGradient),
            $"max error {result.MaxAbsError:E3}"
        );
    }

    /// <summary>
    /// With symbolic shapes the chunk count is fixed when compiling (from the probe's rows) and the chunk size read at
    /// run time: at more or fewer rows than the probe's the chunks must still tile the rows exactly.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(5)]
    public void Symbolic_recomputed_gradient_at_another_batch_equals_the_gradient_that_keeps_the_map(long runBatch)
    {
        var gradients = new[] { true, false }
            .Select(recompute =>
            {
                var model = new GraphTestModel(14, TensorValues.Double, dynamic: true);
                var (graph, loss, wrt, shapes) = GraphTestBlocks.SelfAttentionWithSquaredLoss(model);
                var grad = ReverseModeDifferentiator.Differentiate(
                    graph,
                    loss,
                    wrt,
                    shapes,
                    new TensorTypes(graph),
                    new DifferentiationOptions(RecomputeAttention: recompute)
                );
                var x = new GraphTestModel(14, TensorValues.Double, dynamic: true, seed: 99);
                x.Input(wrt, runBatch, 6, 6);
                return GraphRunner.Run(graph, model, [grad], x.Feeds)[0];
            })
            .ToArray();

        Assert.Equal(runBatch * 6 * 6, gradients[0].Length);
        var scale = gradients[1].Max(Math.Abs);
        var error = gradients[0].Zip(gradients[1], (a, b) => Math.Abs(a - b)).Max();
        Assert.True(scale > 1e-3, "the gradient is ~0, the comparison would prove nothing");
        Assert.True(
            error <= 1e-12 * scale,
            $"recomputed vs kept-map gradient: max error {error:E3}, max |grad| {scale:E3}"
        );
    }

    /// <summary>
    /// Keys and values of one row broadcast over every row of queries (rows of Kᵀ and V: 1, of Q: 3).
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Attention_with_keys_shared_by_all_rows_matches_central_finite_differences(bool symbolicShapes)
    {
        var m = new GraphTestModel(14, TensorValues.Double, symbolicShapes);
        var x = m.Input("x", 3, 6, 2);
        var q = m.Node("MatMul", [x, m.Weight("wq", 2, 2)], "q");
        var p = m.Node(
            "Softmax",
            [m.Node("MatMul", [q, m.Weight("kT", 1, 2, 8)], "scores")],
            Map,
            GraphEmitter.Int("axis", -1)
        );
        var y = m.Node("MatMul", [p, m.Weight("v", 1, 8, 2)], "y");
        m.Output(y);

        var result = GraphGradientCheck.Run(m, y, x);

        Assert.True(result.MaxAbsGradient > 1e-3, "the gradient is ~0, the check would prove nothing");
        Assert.True(
            result.MaxAbsError <= 1e-6 * Math.Max(1, result.MaxAbsGradient),
            $"max |analytic − finite difference| = {result.MaxAbsError:E3} "
                + $"over {result.Checked} elements, max |grad| = {result.MaxAbsGradient:E3}"
        );
    }
}
