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
    /// The sentences need not contain the word (the user decides what the mean describes), but each must be text: a
    /// file that is not UTF-8, holds control characters (a binary file), or has a line without a single letter (a
    /// table of numbers, a separator) is refused, naming the line, rather than averaged into a meaningless mean.
    /// </summary>
    public sealed record UserFile(string Path) : SentenceSource
    {
        public const int MaxSentences = 100_000;
        public const int MaxSentenceLength = 1_000;

        /// <summary>More than a file of <see cref="MaxSentences"/> sentences of the longest kind takes.</summary>
        public const long MaxBytes = 4L * MaxSentences * (MaxSentenceLength + 2);

        public override string Label => $"sentence file {Path}";

        public override SentenceSet LoadSentences(EditWord word)
        {
            var sentences = new List<string>();
            foreach (var (lineNumber, sentence) in Clean(ReadLines()))
            {
                if (sentence.Length > MaxSentenceLength)
                    throw new InvalidInputException(
                        $"Sentence file {Path}, line {lineNumber}: {sentence.Length} "
                            + $"characters; a sentence may have at most {MaxSentenceLength} "
                            + "(the text encoder reads only 77 tokens anyway)."
                    );
                if (sentence.FirstOrDefault(c => char.IsControl(c) && c != '\t', 'a') is var control and not 'a')
                    throw new InvalidInputException(
                        $"Sentence file {Path}, line {lineNumber}: holds the control character "
                            + $"U+{(int)control:X4}, so it is not a text file; "
                            + "give a UTF-8 text file, one sentence per line."
                    );
                if (!sentence.Any(char.IsLetter))
                    throw new InvalidInputException(
                        $"Sentence file {Path}, line {lineNumber}: \"{InputText.Shorten(sentence)}\" has no letter, "
                            + "so it is no sentence; write one sentence per line and nothing else."
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

        // Checked before it is opened (a FIFO would block, a device never end), bounded, and decoded strictly: the
        // replacement characters of a lenient decoder would turn a binary file into "sentences".
        private List<string> ReadLines()
        {
            var type = Serialization.FileTypes.Of(Path);
            if (type == Serialization.FileType.Missing)
                throw new InvalidInputException($"Sentence file {Path} does not exist.");
            if (type != Serialization.FileType.Regular)
                throw new InvalidInputException(
                    $"Sentence file {Path} is {Serialization.FileTypes.Describe(type)}; name a UTF-8 text file."
                );
            var length = new FileInfo(Path).Length;
            if (length > MaxBytes)
                throw new InvalidInputException(
                    $"Sentence file {Path} is {length:N0} bytes; a sentence file may have at most {MaxBytes:N0}."
                );
            try
            {
                var text = new System.Text.UTF8Encoding(false, throwOnInvalidBytes: true).GetString(
                    File.ReadAllBytes(Path)
                );
                return [.. text.TrimStart('\uFEFF').Split('\n').Select(line => line.TrimEnd('\r'))];
            }
            catch (System.Text.DecoderFallbackException e)
            {
                throw new InvalidInputException(
                    $"Sentence file {Path} is not UTF-8 text (byte {e.Index:N0} cannot be decoded); "
                        + "save it as UTF-8, one sentence per line.",
                    e
                );
            }
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
