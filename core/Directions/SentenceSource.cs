namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Where a word's mean embedding comes from: sentences made by <see cref="SentenceGenerator"/>, sentences from the
/// user's text file, or a mean imported directly from a .pt file (such as the public pix2pix-zero means).
/// </summary>
public abstract record SentenceSource
{
    private SentenceSource() { }

    /// <summary>Sentences from the built-in generator.</summary>
    public sealed record BuiltIn(int Count = SentenceGenerator.DefaultCount) : SentenceSource
    {
        public override SentenceSet LoadSentences(EditWord word) => new(SentenceGenerator.Generate(word, Count));

        public override string Label => $"built-in generator, {Count} per word";
    }

    /// <summary>
    /// A UTF-8 text file, one sentence per line; surrounding whitespace is trimmed and blank lines are skipped.
    /// The sentences need not contain the word (the user decides what the mean describes).
    /// </summary>
    public sealed record UserFile(string Path) : SentenceSource
    {
        public const int MaxSentences = 100_000;
        public const int MaxSentenceLength = 1_000;

        public override string Label => $"sentence file {Path}";

        public override SentenceSet LoadSentences(EditWord word)
        {
            if (!File.Exists(Path))
                throw new InvalidInputException($"Sentence file {Path} does not exist.");
            var sentences = new List<string>();
            foreach (var (lineNumber, sentence) in Clean(File.ReadLines(Path)))
            {
                if (sentence.Length > MaxSentenceLength)
                    throw new InvalidInputException(
                        $"Sentence file {Path}, line {lineNumber}: {sentence.Length} "
                            + $"characters; a sentence may have at most {MaxSentenceLength} "
                            + "(the text encoder reads only 77 tokens anyway)."
                    );
                if (sentences.Count == MaxSentences)
                    throw new InvalidInputException(
                        $"Sentence file {Path} has more than {MaxSentences} sentences; split it or keep about 1,000."
                    );
                sentences.Add(sentence);
            }
            if (sentences.Count == 0)
                throw new InvalidInputException($"Sentence file {Path} has no sentences; write one sentence per line.");
            return new SentenceSet(sentences);
        }

        /// <summary>
        /// How lines of user text become sentences: each trimmed, blank ones dropped, numbered by their line (from 1,
        /// blank lines counted) for error messages. Sentences posted to the HTTP API are cleaned by it too, so that the
        /// set stored as a file, one sentence a line, reads back as the same set (same hash).
        /// </summary>
        public static IEnumerable<(int Line, string Sentence)> Clean(IEnumerable<string?> lines)
        {
            int lineNumber = 0;
            foreach (string? line in lines)
            {
                lineNumber++;
                string sentence = (line ?? "").Trim();
                if (sentence.Length > 0)
                    yield return (lineNumber, sentence);
            }
        }
    }

    /// <summary>
    /// A precomputed mean embedding saved with torch.save ([1, 77, d] or [77, d]); no sentences are involved.
    /// </summary>
    public sealed record ImportedPt(string Path) : SentenceSource
    {
        public override SentenceSet LoadSentences(EditWord word) =>
            throw new InvalidOperationException(
                $"An imported .pt mean ({Path}) has no sentences; read it with {nameof(PtEmbeddingReader)}."
            );

        public override string Label => $"imported mean {Path}";
    }

    public abstract SentenceSet LoadSentences(EditWord word);

    /// <summary>How an edit's record names the sentences its directions were averaged over.</summary>
    public abstract string Label { get; }
}
