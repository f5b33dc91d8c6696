namespace Pix2PixZero.Core.Directions;

/// <summary>
/// The position-wise mean text embedding of one word, [<see cref="Rows"/> = 77, <see cref="Width"/>] row-major,
/// for the text encoder named by <see cref="ModelId"/>. <see cref="SentenceSetHash"/> identifies the sentences
/// (<see cref="SentenceSet.Hash"/>); a mean imported from a .pt file has <see cref="SentenceCount"/> 0 and the hash
/// <c>"pt:" + SHA-256 of the file</c>.
/// </summary>
public sealed record WordMean
{
    public WordMean(
        string modelId,
        EditWord word,
        int rows,
        int width,
        float[] values,
        int sentenceCount,
        string sentenceSetHash
    )
    {
        if (string.IsNullOrWhiteSpace(modelId))
            throw new ArgumentException("A word mean needs a model id.", nameof(modelId));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(rows);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(sentenceCount);
        if (values.Length != rows * width)
            throw new ArgumentException(
                $"A [{rows}, {width}] mean needs {rows * width} values, got {values.Length}.",
                nameof(values)
            );
        if (string.IsNullOrEmpty(sentenceSetHash))
            throw new ArgumentException("A word mean needs the hash of its sentence set.", nameof(sentenceSetHash));
        (ModelId, Word, Rows, Width, Values, SentenceCount, SentenceSetHash) = (
            modelId,
            word,
            rows,
            width,
            values,
            sentenceCount,
            sentenceSetHash
        );
    }

    public string ModelId { get; }
    public EditWord Word { get; }
    public int Rows { get; }
    public int Width { get; }
    public float[] Values { get; }
    public int SentenceCount { get; }
    public string SentenceSetHash { get; }
}
