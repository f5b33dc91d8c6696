using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// BERT uncased WordPiece tokenizer with transformers' BertTokenizer semantics, as BLIP's processor uses it.
/// Encoding: special-token texts kept whole; control characters dropped, whitespace normalised, spaces around CJK
/// ideographs; whitespace split; lower-case; accents stripped (NFD, non-spacing marks removed); punctuation split
/// off; greedy longest-match WordPiece with "##" continuations ([UNK] for a word with no match or over 100 chars).
/// Decoding (skip_special_tokens, clean_up_tokenization_spaces): special ids dropped, tokens joined by spaces,
/// " ##" glued, then transformers' clean-up (" ." → "." …).
/// Why not Microsoft.ML.Tokenizers' BertTokenizer (checked with 2.0.1, the pinned version, created from this
/// vocab.txt with [DEC]/[ENC] among SpecialTokens, SplitOnSpecialTokens, lower-casing, accent stripping and CJK
/// splitting on): it encodes every tokenizer case in tests/fixtures/blip/goldens/index.json to the reference ids,
/// but its decode (skipSpecialTokens) turns the case "it's the dog's toy" into "it' s the dog' s toy", where
/// transformers gives "it's the dog's toy": its clean-up lacks transformers' " ' " → "'" and " 's" / " n't" / " 'm" /
/// " 've" / " 're" rules, so every caption with an apostrophe would change. It also splits a word at a soft hyphen
/// (U+00AD, "ab\u00adc" → a ##b c) where transformers drops the format character (a ##b ##c).
/// </summary>
public sealed class BertWordPieceTokenizer
{
    public const int MaxWordChars = 100;

    private static readonly string[] SpecialTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "[DEC]", "[ENC]"];

    private static readonly (string Dirty, string Clean)[] CleanUps =
    [
        (" .", "."),
        (" ?", "?"),
        (" !", "!"),
        (" ,", ","),
        (" ' ", "'"),
        (" n't", "n't"),
        (" 'm", "'m"),
        (" 's", "'s"),
        (" 've", "'ve"),
        (" 're", "'re"),
    ];

    private readonly string[] _tokens;
    private readonly Dictionary<string, long> _ids;
    private readonly Dictionary<string, long> _specials;
    private readonly HashSet<long> _specialIds;
    private readonly Regex _specialSplit;
    private readonly long _unknown;

    public BertWordPieceTokenizer(IReadOnlyList<string> tokens, string source = "vocab.txt")
    {
        _tokens = [.. tokens];
        _ids = new Dictionary<string, long>(_tokens.Length, StringComparer.Ordinal);
        for (var i = 0; i < _tokens.Length; i++)
            if (!_ids.TryAdd(_tokens[i], i))
                throw new ModelBundleException(
                    source,
                    $"token '{_tokens[i]}' appears twice (lines {_ids[_tokens[i]] + 1} and {i + 1})"
                );
        _specials = SpecialTokens.Where(_ids.ContainsKey).ToDictionary(t => t, t => _ids[t], StringComparer.Ordinal);
        if (!_specials.TryGetValue("[UNK]", out _unknown))
            throw new ModelBundleException(source, "has no [UNK] token; is it a BERT WordPiece vocab.txt?");
        _specialIds = [.. _specials.Values];
        _specialSplit = new Regex(
            "(" + string.Join("|", _specials.Keys.Select(Regex.Escape)) + ")",
            RegexOptions.CultureInvariant
        );
    }

    /// <summary>Reads a vocab.txt: one token per line, the line number (from 0) is its id.</summary>
    public static BertWordPieceTokenizer Load(string path)
    {
        if (!File.Exists(path))
            throw new ModelBundleException(path, "the WordPiece vocabulary file does not exist");
        var lines = File.ReadAllLines(path, Encoding.UTF8);
        return new BertWordPieceTokenizer(lines, path);
    }

    public int VocabularySize => _tokens.Length;

    public string Token(long id) => _tokens[id];

    public long? TokenId(string token) => _ids.TryGetValue(token, out var id) ? id : null;

    /// <summary>Token ids of <paramref name="text"/>, with no [CLS]/[SEP] added.</summary>
    public IReadOnlyList<long> Encode(string text)
    {
        var ids = new List<long>();
        foreach (var part in _specialSplit.Split(text))
        {
            if (_specials.TryGetValue(part, out var special))
                ids.Add(special);
            else if (part.Length > 0)
                foreach (var word in BasicTokens(part))
                    WordPiece(word, ids);
        }
        return ids;
    }

    public string Decode(IEnumerable<long> ids)
    {
        var text = string.Join(" ", ids.Where(id => !_specialIds.Contains(id)).Select(id => _tokens[id]))
            .Replace(" ##", "", StringComparison.Ordinal)
            .Trim();
        foreach (var (dirty, clean) in CleanUps)
            text = text.Replace(dirty, clean, StringComparison.Ordinal);
        return text;
    }

    private static List<string> BasicTokens(string text)
    {
        var cleaned = new StringBuilder(text.Length);
        foreach (var rune in text.EnumerateRunes())
        {
            if (rune.Value is 0 or 0xFFFD || IsControl(rune))
                continue;
            if (IsWhitespace(rune))
                cleaned.Append(' ');
            else if (IsCjk(rune.Value))
                cleaned.Append(' ').Append(rune.ToString()).Append(' ');
            else
                cleaned.Append(rune.ToString());
        }
        var words = new List<string>();
        foreach (var token in cleaned.ToString().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))
        {
            var current = new StringBuilder();
            foreach (var rune in StripAccents(token.ToLowerInvariant()).EnumerateRunes())
            {
                if (IsPunctuation(rune))
                {
                    if (current.Length > 0)
                        words.Add(current.ToString());
                    words.Add(rune.ToString());
                    current.Clear();
                }
                else
                {
                    current.Append(rune.ToString());
                }
            }
            if (current.Length > 0)
                words.Add(current.ToString());
        }
        return words;
    }

    private void WordPiece(string word, List<long> ids)
    {
        var chars = word.EnumerateRunes().Select(r => r.ToString()).ToArray();
        if (chars.Length > MaxWordChars)
        {
            ids.Add(_unknown);
            return;
        }
        var pieces = new List<long>();
        for (var start = 0; start < chars.Length; )
        {
            long? found = null;
            var end = chars.Length;
            for (; end > start; end--)
            {
                var candidate = (start == 0 ? "" : "##") + string.Concat(chars[start..end]);
                if (_ids.TryGetValue(candidate, out var id))
                {
                    found = id;
                    break;
                }
            }
            if (found is null)
            {
                ids.Add(_unknown);
                return;
            }
            pieces.Add(found.Value);
            start = end;
        }
        ids.AddRange(pieces);
    }

    private static string StripAccents(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (var rune in text.Normalize(NormalizationForm.FormD).EnumerateRunes())
            if (Rune.GetUnicodeCategory(rune) != UnicodeCategory.NonSpacingMark)
                builder.Append(rune.ToString());
        return builder.ToString();
    }

    private static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    private static bool IsControl(Rune r) =>
        r.Value is not ('\t' or '\n' or '\r')
        && Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format;

    private static bool IsPunctuation(Rune r) =>
        r.Value is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126
        || Rune.GetUnicodeCategory(r)
            is UnicodeCategory.ConnectorPunctuation
                or UnicodeCategory.DashPunctuation
                or UnicodeCategory.OpenPunctuation
                or UnicodeCategory.ClosePunctuation
                or UnicodeCategory.InitialQuotePunctuation
                or UnicodeCategory.FinalQuotePunctuation
                or UnicodeCategory.OtherPunctuation;

    private static bool IsCjk(int cp) =>
        cp
            is >= 0x4E00
                and <= 0x9FFF
                or >= 0x3400
                and <= 0x4DBF
                or >= 0x20000
                and <= 0x2A6DF
                or >= 0x2A700
                and <= 0x2B73F
                or >= 0x2B740
                and <= 0x2B81F
                or >= 0x2B820
                and <= 0x2CEAF
                or >= 0xF900
                and <= 0xFAFF
                or >= 0x2F800
                and <= 0x2FA1F;
}
