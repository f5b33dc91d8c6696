using System.Buffers;
using System.Text;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Storage;

/// <summary>A blob by container and name: what activities pass each other instead of bytes.</summary>
public sealed record BlobRef(string Container, string Name)
{
    public const int MaxNameLength = 1024;

    public override string ToString() => $"{Container}/{Name}";

    /// <summary>
    /// Reads "container/name/with/slashes" (the form the HTTP API
    /// accepts), refusing what <see cref="CheckName"/> refuses.
    /// </summary>
    public static BlobRef Parse(string? path, string label)
    {
        var text = (path ?? "").Trim().TrimStart('/');
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
            throw new InvalidInputException(
                $"{label} \"{InputText.Shorten(path)}\" does not name a blob; "
                    + "write it as container/name (e.g. edit-requests/cat2dog/photo.png)"
            );
        var (container, name) = (text[..slash], text[(slash + 1)..]);
        if (
            container.Length is < 3 or > 63
            || !container.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-')
        )
            throw new InvalidInputException(
                $"{label} \"{InputText.Shorten(path)}\" names the container "
                    + $"\"{InputText.Shorten(container)}\", which is not a "
                    + "container name (3–63 lower-case letters, digits and hyphens)"
            );
        CheckName(name, label);
        return new BlobRef(container, name);
    }

    /// <summary>
    /// Refuses a blob name from a request (JSON, a multipart file name, an inbox blob) that could lead anywhere but
    /// where it says: a "." or ".." segment (URLs resolve them, so <c>work/../directions/x</c> reads
    /// <c>directions/x</c>), an empty segment, a backslash, a control character, half a surrogate pair, a trailing dot,
    /// or over <see cref="MaxNameLength"/> characters (names Azure Storage refuses). Checked before any storage call.
    /// </summary>
    public static void CheckName(string name, string label)
    {
        var problem = name switch
        {
            "" => "is empty",
            { Length: > MaxNameLength } => $"has {name.Length:N0} characters; at most {MaxNameLength} are allowed",
            _ when name.Any(char.IsControl) => "contains a control character",
            _ when !IsWellFormed(name) => "is not valid Unicode (it holds half of a surrogate pair)",
            _ when name.Contains('\\') => "contains a backslash; separate folders with /",
            _ when name.Split('/').Any(s => s is "" or "." or "..") =>
                "has an empty, \".\" or \"..\" path segment; name the blob by its plain path",
            _ when name.EndsWith('.') => "ends with a dot, which Azure Storage drops",
            _ => null,
        };
        if (problem is not null)
            throw new InvalidInputException($"{label} \"{InputText.Shorten(name)}\" {problem}");
    }

    // A lone surrogate becomes U+FFFD in the request URL, which names another blob.
    private static bool IsWellFormed(string text)
    {
        for (var rest = text.AsSpan(); !rest.IsEmpty; )
        {
            if (Rune.DecodeFromUtf16(rest, out _, out var used) != OperationStatus.Done)
                return false;
            rest = rest[used..];
        }
        return true;
    }
}
