using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Gets a word's mean for a <see cref="SentenceSource"/>: an imported .pt is read as is; otherwise the sentences are
/// loaded, and the mean comes from the <see cref="DirectionStore"/> when (model, word, sentence-set hash) is cached,
/// else it is averaged with the embedder and stored.
/// </summary>
public sealed class WordMeanResolver
{
    private readonly ISentenceEmbedder _embedder;
    private readonly DirectionStore _store;
    private readonly WordEmbeddingAverager _averager;
    private readonly ILogger _logger;

    public WordMeanResolver(
        ISentenceEmbedder embedder,
        DirectionStore store,
        int batchSize = WordEmbeddingAverager.DefaultBatchSize,
        ILoggerFactory? loggers = null
    )
    {
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        _store = store ?? throw new ArgumentNullException(nameof(store));
        loggers ??= NullLoggerFactory.Instance;
        _averager = new WordEmbeddingAverager(embedder, batchSize, loggers.CreateLogger<WordEmbeddingAverager>());
        _logger = loggers.CreateLogger<WordMeanResolver>();
    }

    public WordMean Resolve(EditWord word, SentenceSource source, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (source is SentenceSource.ImportedPt imported)
        {
            var mean = PtEmbeddingReader.ReadWordMean(imported.Path, word, _embedder.ModelId);
            if (mean.Rows != _embedder.SequenceLength || mean.Width != _embedder.HiddenSize)
                throw new InvalidInputException(
                    $"{imported.Path} holds a [{mean.Rows}, {mean.Width}] "
                        + $"mean; the text encoder {_embedder.ModelId} produces "
                        + $"[{_embedder.SequenceLength}, {_embedder.HiddenSize}]."
                );
            return mean;
        }

        var sentences = source.LoadSentences(word);
        if (_store.TryLoad(_embedder.ModelId, word, sentences.Hash, out var cached))
        {
            _logger.LogInformation(
                "Reusing the cached mean of \"{Word}\" ({Count} sentences)",
                word,
                cached!.SentenceCount
            );
            return cached;
        }
        _logger.LogInformation(
            "Computing the mean of \"{Word}\" over {Count} sentences",
            word,
            sentences.Sentences.Count
        );
        var computed = _averager.Average(word, sentences, cancellationToken);
        _store.Save(computed);
        return computed;
    }
}
