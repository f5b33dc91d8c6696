using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Tests.Inversion;

namespace Pix2PixZero.Tests.Directions;

/// <summary>
/// Caching and source selection only; the embedder is a counting stand-in with the SD 1.x output shape (constant
/// values), so what is under test is whether it gets called, never what it computes.
/// </summary>
public sealed class WordMeanResolverTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"p2pz-resolver-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private sealed class CountingEmbedder(int hiddenSize = 768) : ISentenceEmbedder
    {
        public int SentencesEmbedded { get; private set; }
        public string ModelId => "sd-1.4";
        public int SequenceLength => 77;
        public int HiddenSize => hiddenSize;

        public void Embed(IReadOnlyList<string> sentences, Span<float> destination)
        {
            SentencesEmbedded += sentences.Count;
            destination.Fill(0.5f);
        }
    }

    [Fact]
    public void Counting_embedder_second_resolve_of_the_same_sentences_comes_from_the_store()
    {
        var embedder = new CountingEmbedder();
        var resolver = new WordMeanResolver(embedder, new DirectionStore(_root));
        var word = EditWord.Parse("cat");

        var first = resolver.Resolve(word, new SentenceSource.BuiltIn(40));
        var second = resolver.Resolve(word, new SentenceSource.BuiltIn(40));

        Assert.Equal(40, embedder.SentencesEmbedded);
        Assert.Equal(first.Values, second.Values);
        resolver.Resolve(word, new SentenceSource.BuiltIn(41));
        Assert.Equal(81, embedder.SentencesEmbedded);
    }

    [Fact]
    public void Counting_embedder_is_not_called_for_an_imported_mean()
    {
        var embedder = new CountingEmbedder();
        var mean = new WordMeanResolver(embedder, new DirectionStore(_root)).Resolve(
            EditWord.Parse("dog"),
            new SentenceSource.ImportedPt(RepoPaths.Embedding("dog"))
        );
        Assert.Equal(0, embedder.SentencesEmbedded);
        Assert.Equal((77, 768, "sd-1.4"), (mean.Rows, mean.Width, mean.ModelId));
    }

    [Fact]
    public void Imported_mean_of_another_width_is_refused()
    {
        var resolver = new WordMeanResolver(new CountingEmbedder(hiddenSize: 1024), new DirectionStore(_root));
        var error = Assert.Throws<InvalidInputException>(() =>
            resolver.Resolve(EditWord.Parse("dog"), new SentenceSource.ImportedPt(RepoPaths.Embedding("dog")))
        );
        Assert.Contains("[77, 768]", error.Message);
        Assert.Contains("[77, 1024]", error.Message);
    }
}
