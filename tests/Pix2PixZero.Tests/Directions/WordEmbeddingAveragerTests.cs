using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

/// <summary>
/// The averaging math only. The embedder here is a trivially correct stand-in (each value a known function of the
/// sentence and position), not a model; the real CLIP embedder is tested with the models.
/// </summary>
public class WordEmbeddingAveragerTests
{
    private sealed class PositionCodeEmbedder : ISentenceEmbedder
    {
        public List<int> BatchSizes { get; } = [];
        public string ModelId => "position-code";
        public int SequenceLength => 3;
        public int HiddenSize => 2;

        public static float Value(string sentence, int position) => sentence.Length * 0.5f + position * 0.25f - 1f;

        public void Embed(IReadOnlyList<string> sentences, Span<float> destination)
        {
            Assert.Equal(sentences.Count * 6, destination.Length);
            BatchSizes.Add(sentences.Count);
            for (int s = 0; s < sentences.Count; s++)
            for (int p = 0; p < 6; p++)
                destination[s * 6 + p] = Value(sentences[s], p);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(16)]
    public void Mean_with_a_trivial_embedder_is_the_position_wise_average_whatever_the_batch_size(int batchSize)
    {
        var sentences = new SentenceSet(["a", "a cat", "the cat sat", "cats", "one more cat", "x", "a cat on a mat"]);
        var embedder = new PositionCodeEmbedder();

        var mean = new WordEmbeddingAverager(embedder, batchSize).Average(EditWord.Parse("cat"), sentences);

        for (int p = 0; p < 6; p++)
            Assert.Equal(
                sentences.Sentences.Average(s => (double)PositionCodeEmbedder.Value(s, p)),
                mean.Values[p],
                1e-6
            );
        Assert.Equal(
            (3, 2, 7, sentences.Hash, "position-code"),
            (mean.Rows, mean.Width, mean.SentenceCount, mean.SentenceSetHash, mean.ModelId)
        );
        Assert.Equal(7, embedder.BatchSizes.Sum());
        Assert.All(embedder.BatchSizes, b => Assert.True(b <= batchSize));
    }

    [Fact]
    public void Cancellation_stops_between_batches()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var averager = new WordEmbeddingAverager(new PositionCodeEmbedder());
        Assert.Throws<OperationCanceledException>(() =>
            averager.Average(EditWord.Parse("cat"), new SentenceSet(["a cat"]), cancelled.Token)
        );
    }

    [Fact]
    public void Batch_size_outside_the_range_is_refused()
    {
        Assert.Equal(
            "batchSize",
            Assert
                .Throws<ArgumentOutOfRangeException>(() => new WordEmbeddingAverager(new PositionCodeEmbedder(), 0))
                .ParamName
        );
    }
}
