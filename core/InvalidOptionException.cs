namespace Pix2PixZero.Core;

/// <summary>
/// An option outside its accepted range, or one that is needed and not set; the message names the option, the value
/// (cut when long) and what is accepted.
/// </summary>
public sealed class InvalidOptionException(string option, object? value, string accepted)
    : Pix2PixZeroException(
        FailureKind.InvalidInput,
        value is null
            ? $"{option} is not set: {accepted}"
            : $"{option} = {InputText.Shorten(value.ToString())} is not accepted: {accepted}"
    )
{
    public string Option { get; } = option;
}
