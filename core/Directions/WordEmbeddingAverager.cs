using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Computes a word's mean embedding (DESIGN.md §1.3): E(sentence) for every sentence, in batches, averaged
/// position by position over all sentences. Sums are kept in double so the mean does not depend on the batch size.
/// </summary>
public sealed class WordEmbeddingAverager
{
    public const int DefaultBatchSize = 16;
    public const int MaxBatchSize = 1024;

    private readonly ISentenceEmbedder _embedder;
    private readonly int _batchSize;
    private readonly ILogger _logger;

    public WordEmbeddingAverager(
        ISentenceEmbedder embedder,
        int batchSize = DefaultBatchSize,
        ILogger<WordEmbeddingAverager>? logger = null
    )
    {
        _embedder = embedder ?? throw new ArgumentNullException(nameof(embedder));
        if (batchSize is < 1 or > MaxBatchSize)
            throw new ArgumentOutOfRangeException(
                nameof(batchSize),
                batchSize,
                $"The batch size must be between 1 and {MaxBatchSize} (default {DefaultBatchSize}); got {batchSize}."
            );
        _batchSize = batchSize;
        _logger = logger ?? NullLogger<WordEmbeddingAverager>.Instance;
    }

    public WordMean Average(EditWord word, SentenceSet sentences, CancellationToken cancellationToken = default)
    {
        int rowSize = _embedder.SequenceLength * _embedder.HiddenSize;
        if (rowSize <= 0)
            throw new InvalidOperationException(
                $"Embedder {_embedder.ModelId} reports an empty output "
                    + $"[{_embedder.SequenceLength}, {_embedder.HiddenSize}]."
            );
        var sums = new double[rowSize];
        var batch = new float[Math.Min(_batchSize, sentences.Sentences.Count) * rowSize];
        int total = sentences.Sentences.Count;

        for (int start = 0; start < total; start += _batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            int count = Math.Min(_batchSize, total - start);
            var output = batch.AsSpan(0, count * rowSize);
            _embedder.Embed(sentences.Sentences.Skip(start).Take(count).ToArray(), output);
            for (int s = 0; s < count; s++)
            {
                var embedding = output.Slice(s * rowSize, rowSize);
                for (int i = 0; i < rowSize; i++)
                    sums[i] += embedding[i];
            }
            _logger.LogDebug("Embedded {Done}/{Total} sentences for \"{Word}\"", start + count, total, word);
        }

        var mean = new float[rowSize];
        for (int i = 0; i < rowSize; i++)
            mean[i] = (float)(sums[i] / total);
        return new WordMean(
            _embedder.ModelId,
            word,
            _embedder.SequenceLength,
            _embedder.HiddenSize,
            mean,
            total,
            sentences.Hash
        );
    }
}
