namespace Pix2PixZero.Core.Directions;

/// <summary>
/// A source or target word of an edit ("cat", "teddy bear", "jack-o'-lantern"): trimmed, lower-cased (CLIP's tokenizer
/// lower-cases anyway, so "Cat" and "cat" share one cached mean), 1–40 characters of letters, digits, spaces, hyphens
/// and apostrophes, with at least one letter or digit.
/// </summary>
public readonly record struct EditWord
{
    public const int MaxLength = 40;

    private EditWord(string value) => Value = value;

    public string Value { get; }

    public static EditWord Parse(string? text)
    {
        string word = (text ?? "").Trim().ToLowerInvariant();
        if (word.Length == 0)
            throw new InvalidInputException("The edit word is empty; give a word such as \"cat\".");
        if (word.Length > MaxLength)
            throw new InvalidInputException(
                $"The edit word \"{InputText.Shorten(word)}\" has {word.Length} "
                    + $"characters; at most {MaxLength} are allowed."
            );
        foreach (char c in word)
            if (!(char.IsLetterOrDigit(c) || c is ' ' or '-' or '\''))
                throw new InvalidInputException(
                    $"The edit word \"{InputText.Shorten(word)}\" contains '{c}' (U+{(int)c:X4}); "
                        + "only letters, digits, spaces, hyphens and apostrophes are allowed."
                );
        if (!word.Any(char.IsLetterOrDigit))
            throw new InvalidInputException($"The edit word \"{InputText.Shorten(word)}\" has no letter or digit.");
        return new EditWord(word);
    }

    public override string ToString() => Value ?? "";
}
