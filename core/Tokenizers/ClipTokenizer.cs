using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Pix2PixZero.Core.Tokenizers;

/// <summary>
/// CLIP's text tokenizer as Stable Diffusion uses it: basic clean-up, lower-casing, CLIP's split regex,
/// byte-level BPE with <c>&lt;/w&gt;</c> word ends, BOS/EOS, truncation to 76 tokens + EOS, and padding with EOS
/// to 77 (DESIGN.md §1.2 step 3). BPE itself is Microsoft.ML.Tokenizers'.
/// </summary>
public sealed partial class ClipTokenizer
{
    public const int MaxLength = 77;
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";
    public const string EndOfWordSuffix = "</w>";

    private readonly BpeTokenizer _bpe;
    private readonly string[] _tokenOfId;

    private ClipTokenizer(BpeTokenizer bpe)
    {
        _bpe = bpe;
        _tokenOfId = new string[bpe.Vocabulary.Count];
        foreach (var (token, id) in bpe.Vocabulary)
        {
            if (id < 0 || id >= _tokenOfId.Length)
                throw new FormatException(
                    $"the tokenizer vocabulary maps '{token}' to id {id}, outside 0..{_tokenOfId.Length - 1}"
                );
            _tokenOfId[id] = token;
        }
        BosId = RequireId(StartOfText);
        EosId = RequireId(EndOfText);
    }

    public int BosId { get; }

    public int EosId { get; }

    public int VocabularySize => _bpe.Vocabulary.Count;

    /// <summary>Loads a Hugging Face CLIP tokenizer folder's <c>vocab.json</c> and <c>merges.txt</c>.</summary>
    public static ClipTokenizer FromFiles(string vocabJsonPath, string mergesPath)
    {
        foreach (var path in new[] { vocabJsonPath, mergesPath })
            if (!File.Exists(path))
                throw new FileNotFoundException($"tokenizer file {path} is missing", path);
        try
        {
            var vocabulary = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(
                File.ReadAllText(vocabJsonPath)
            ) ?? throw new FormatException("vocab.json is empty");
            return new ClipTokenizer(
                BpeTokenizer.Create(Options(new BpeOptions(vocabulary) { Merges = ReadMerges(mergesPath) }, vocabulary))
            );
        }
        catch (Exception e)
            when (e
                    is not KeyNotFoundException
                        and (
                            FormatException
                            or ArgumentException
                            or InvalidOperationException
                            or System.Text.Json.JsonException
                        )
            )
        {
            throw new FormatException($"tokenizer files {vocabJsonPath} / {mergesPath} are malformed: {e.Message}", e);
        }
    }

    public static ClipTokenizer FromVocabulary(ClipBpeVocabulary vocabulary) =>
        new(
            BpeTokenizer.Create(
                Options(new BpeOptions(vocabulary.Vocabulary) { Merges = vocabulary.Merges }, vocabulary.Vocabulary)
            )
        );

    private static List<string> ReadMerges(string path) =>
        File.ReadLines(path)
            .Where(line => line.Length > 0 && !line.StartsWith("#version", StringComparison.Ordinal))
            .ToList();

    /// <summary>Ids of a text: BOS, at most 75 BPE tokens, EOS, then EOS padding to <see cref="MaxLength"/>.</summary>
    public int[] Encode(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new int[MaxLength];
        Array.Fill(ids, EosId);
        ids[0] = BosId;
        var tokens = Tokenize(text);
        var kept = Math.Min(tokens.Count, MaxLength - 2);
        for (var i = 0; i < kept; i++)
            ids[i + 1] = tokens[i];
        return ids;
    }

    /// <summary>The BPE ids of a text without BOS, EOS, truncation or padding.</summary>
    public IReadOnlyList<int> Tokenize(string text) => _bpe.EncodeToIds(Clean(text));

    /// <summary>CLIP's decode: tokens joined, <c>&lt;/w&gt;</c> read as a space, byte symbols back to UTF-8.</summary>
    public string Decode(IEnumerable<int> ids)
    {
        var symbols = string.Concat(ids.Where(id => id != BosId && id != EosId).Select(id => _tokenOfId[id]));
        var text = ByteLevelAlphabet.Decode(symbols.Replace(EndOfWordSuffix, " ", StringComparison.Ordinal));
        return text.Trim();
    }

    /// <summary>
    /// CLIP's <c>basic_clean</c> + <c>whitespace_clean</c> + lower-case (ftfy's NFC normalisation included).
    /// </summary>
    public static string Clean(string text)
    {
        var unescaped = WebUtility.HtmlDecode(WebUtility.HtmlDecode(text));
        var normalized = unescaped.Normalize(NormalizationForm.FormC);
        return Whitespace().Replace(normalized, " ").Trim().ToLowerInvariant();
    }

    private int RequireId(string token) =>
        _bpe.Vocabulary.TryGetValue(token, out var id)
            ? id
            : throw new FormatException($"the tokenizer vocabulary has no '{token}' token; is it a CLIP vocabulary?");

    private static BpeOptions Options(BpeOptions options, IEnumerable<KeyValuePair<string, int>> vocabulary)
    {
        // CLIP maps the literal markers to their special ids even inside user text.
        var special = vocabulary.Where(p => p.Key is StartOfText or EndOfText).ToDictionary(p => p.Key, p => p.Value);
        options.SpecialTokens = special;
        options.PreTokenizer = new RegexPreTokenizer(ClipSplit(), special);
        options.EndOfWordSuffix = EndOfWordSuffix;
        options.ByteLevel = true;
        return options;
    }

    // CLIP's split pattern (SimpleTokenizer.pat), case-insensitive as in CLIP.
    [GeneratedRegex(
        @"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+",
        RegexOptions.IgnoreCase
    )]
    private static partial Regex ClipSplit();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
