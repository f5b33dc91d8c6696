namespace Pix2PixZero.Core;

/// <summary>
/// User input as messages quote it: a long value (a 10,000-character task, a pasted file) is cut to its start and
/// its length, so an error stays one readable line.
/// </summary>
public static class InputText
{
    public const int MaxQuoted = 60;

    /// <summary>
    /// The value as it is when short, else its first <see cref="MaxQuoted"/> characters, "…" and its length.
    /// </summary>
    public static string Shorten(string? value) =>
        value is null || value.Length <= MaxQuoted
            ? value ?? ""
            : $"{value[..MaxQuoted]}… ({value.Length:N0} characters)";
}
