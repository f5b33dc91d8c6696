using System.IO.Compression;
using System.Text;

namespace Pix2PixZero.Core.Tokenizers;

/// <summary>
/// Builds CLIP's vocabulary and merge list from OpenAI's <c>bpe_simple_vocab_16e6.txt.gz</c>, exactly as
/// CLIP's <c>SimpleTokenizer</c> does: 256 byte symbols, the same with <c>&lt;/w&gt;</c>, one token per merge for
/// the first 48,894 merges, then the two special tokens (49,408 entries).
/// </summary>
public sealed class ClipBpeVocabulary
{
    public const int MergeCount = 49152 - 256 - 2;

    private ClipBpeVocabulary(IReadOnlyList<KeyValuePair<string, int>> vocabulary, IReadOnlyList<string> merges)
    {
        Vocabulary = vocabulary;
        Merges = merges;
    }

    /// <summary>Token → id, in id order.</summary>
    public IReadOnlyList<KeyValuePair<string, int>> Vocabulary { get; }

    /// <summary>Merges as "left right", highest priority first.</summary>
    public IReadOnlyList<string> Merges { get; }

    public static ClipBpeVocabulary FromMergeListGzip(string path)
    {
        using var file = File.OpenRead(path);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        reader.ReadLine(); // version header
        var merges = new List<string>(MergeCount);
        while (merges.Count < MergeCount && reader.ReadLine() is { } line)
        {
            if (line.Split(' ').Length != 2)
                throw new FormatException(
                    $"{path}: merge line {merges.Count + 2} '{line}' is not two symbols separated by a space"
                );
            merges.Add(line);
        }
        if (merges.Count < MergeCount)
            throw new FormatException($"{path}: holds {merges.Count} merges; CLIP's list has at least {MergeCount}");

        var tokens = new List<string>(49408);
        var byteSymbols = ByteLevelAlphabet.Symbols;
        tokens.AddRange(byteSymbols);
        tokens.AddRange(byteSymbols.Select(s => s + ClipTokenizer.EndOfWordSuffix));
        tokens.AddRange(merges.Select(m => m.Replace(" ", "", StringComparison.Ordinal)));
        tokens.Add(ClipTokenizer.StartOfText);
        tokens.Add(ClipTokenizer.EndOfText);
        return new ClipBpeVocabulary(tokens.Select((t, i) => KeyValuePair.Create(t, i)).ToArray(), merges);
    }

    /// <summary>Writes <c>vocab.json</c> and <c>merges.txt</c> in the Hugging Face tokenizer layout.</summary>
    public void WriteHuggingFaceFiles(string directory)
    {
        Directory.CreateDirectory(directory);
        var vocab = Vocabulary.ToDictionary(p => p.Key, p => p.Value);
        File.WriteAllText(Path.Combine(directory, "vocab.json"), System.Text.Json.JsonSerializer.Serialize(vocab));
        File.WriteAllLines(Path.Combine(directory, "merges.txt"), Merges.Prepend("#version: 0.2"));
    }
}

/// <summary>GPT-2/CLIP's reversible byte → printable-character table (<c>bytes_to_unicode</c>).</summary>
internal static class ByteLevelAlphabet
{
    public static IReadOnlyList<string> Symbols { get; } = Build(out ByteOfSymbol);

    private static readonly Dictionary<char, byte> ByteOfSymbol;

    /// <summary>
    /// Maps byte symbols back to bytes and reads them as UTF-8; other characters (spaces) pass through.
    /// </summary>
    public static string Decode(string symbols)
    {
        var bytes = new List<byte>(symbols.Length);
        foreach (var c in symbols)
        {
            if (ByteOfSymbol.TryGetValue(c, out var b))
                bytes.Add(b);
            else
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string[] Build(out Dictionary<char, byte> byteOfSymbol)
    {
        var printable = new List<int>();
        for (var b = '!'; b <= '~'; b++)
            printable.Add(b);
        for (var b = 0xA1; b <= 0xAC; b++)
            printable.Add(b);
        for (var b = 0xAE; b <= 0xFF; b++)
            printable.Add(b);
        var byteValues = new List<int>(printable);
        var codePoints = new List<int>(printable);
        var extra = 0;
        for (var b = 0; b < 256; b++)
        {
            if (printable.Contains(b))
                continue;
            byteValues.Add(b);
            codePoints.Add(256 + extra++);
        }
        byteOfSymbol = byteValues.Zip(codePoints).ToDictionary(p => (char)p.Second, p => (byte)p.First);
        return codePoints.Select(c => char.ConvertFromUtf32(c)).ToArray();
    }
}
