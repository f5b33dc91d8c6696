using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Graph;

/// <summary>
/// <see cref="ChunkedAttention"/>: self-attention computed in chunks of rows of B·heads gives the same values.
/// </summary>
public class ChunkedAttentionTests
{
    private const long Tokens = 6,
        HeadDim = 2;

    // rows = batch·heads, none a multiple of the chunk size: 9 rows →
    // chunks of 2, the last of 1; 20 rows → chunks of 3, the last of 2.
    public static TheoryData<bool, long, long> Sizes() =>
        new()
        {
            { false, 3, 3 },
            { true, 3, 3 },
            { false, 4, 5 },
            { true, 4, 5 },
        };

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Chunked_forward_equals_the_original_forward(bool symbolicShapes, long batch, long heads)
    {
        var model = new GraphTestModel(14, TensorValues.Float, symbolicShapes);
        var (output, _) = GraphTestBlocks.SelfAttention(model, batch, Tokens, heads, HeadDim);
        model.Output(output);
        var original = model.Build();
        var chunked = original.Clone();

        var count = ChunkedAttention.Apply(chunked, GraphRunner.Measure(original, model));

        var rows = batch * heads;
        var size = (rows + ChunkedAttention.MaxChunks - 1) / ChunkedAttention.MaxChunks;
        Assert.Equal(1, count);
        Assert.NotEqual(0, rows % size);
        Assert.Equal((rows + size - 1) / size, chunked.Graph.Node.Count(n => n.OpType == "Softmax"));
        AssertSameOutput(original, chunked, model, model.Feeds);
    }

    /// <summary>
    /// The chunk count is fixed at the probe's rows (9: 5 chunks); the chunk size is read at run time.
    /// </summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    public void Symbolic_chunked_forward_equals_the_original_at_a_batch_other_than_the_probes(long runBatch)
    {
        var model = new GraphTestModel(14, TensorValues.Float, dynamic: true);
        var (output, wrt) = GraphTestBlocks.SelfAttention(model, batch: 3, Tokens, heads: 3, HeadDim);
        model.Output(output);
        var original = model.Build();
        var chunked = original.Clone();
        Assert.Equal(1, ChunkedAttention.Apply(chunked, GraphRunner.Measure(original, model)));

        var other = new GraphTestModel(14, TensorValues.Float, dynamic: true, seed: 99);
        other.Input(wrt, runBatch, Tokens, 3 * HeadDim);
        AssertSameOutput(original, chunked, model, other.Feeds);
    }

    [Fact]
    public void Attention_with_a_single_row_is_left_as_it_is()
    {
        var model = new GraphTestModel(14, TensorValues.Float, dynamic: false);
        var (output, _) = GraphTestBlocks.SelfAttention(model, batch: 1, Tokens, heads: 1, HeadDim);
        model.Output(output);
        var graph = model.Build();

        Assert.Equal(0, ChunkedAttention.Apply(graph, GraphRunner.Measure(graph, model)));
        Assert.Equal(1, graph.Graph.Node.Count(n => n.OpType == "Softmax"));
    }

    private static void AssertSameOutput(
        OnnxGraph original,
        OnnxGraph chunked,
        GraphTestModel model,
        IReadOnlyDictionary<string, (long[] Shape, double[] Values)> feeds
    )
    {
        var output = original.Graph.Output[0].Name;
        var expected = GraphRunner.Run(original, model, [output], feeds)[0];
        var actual = GraphRunner.Run(chunked, model, [output], feeds)[0];
        Assert.Equal(expected.Length, actual.Length);
        var error = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(expected.Max(Math.Abs) > 1e-2, "the output is ~0, the comparison would prove nothing");
        Assert.True(error <= 1e-5, $"chunked vs original forward: max abs error {error:E3}");
    }
}
