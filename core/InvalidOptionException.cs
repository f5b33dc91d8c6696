namespace Pix2PixZero.Core;

/// <summary>An option outside its accepted range; the message names the option, the value and what is accepted.</summary>
public sealed class InvalidOptionException(string option, object? value, string accepted)
    : Pix2PixZeroException($"{option} = {value ?? "null"} is not accepted: {accepted}")
{
    public string Option { get; } = option;
}
