using System.Globalization;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.TestSupport;

/// <summary>
/// A value just past each hyperparameter's range, as a user would type it, and the refusal its table entry gives when
/// the value arrives under <c>name</c>; none for a number without an upper bound (the seed).
/// </summary>
public static class OutOfRange
{
    public static (string Text, string Refusal)? Of(Hyperparameter hyperparameter, string name)
    {
        var text = hyperparameter switch
        {
            { Kind: "number", Max: { } max } => (max + 1).ToString(CultureInfo.InvariantCulture),
            { Kind: "choice" } => "sideways",
            { Kind: "text", MaxLength: { } length } => new string('a', length + 1),
            _ => null,
        };
        if (text is null)
            return null;
        var shown = hyperparameter.Kind == "text" ? $"{text.Length} characters" : text;
        return (text, new InvalidOptionException(name, shown, hyperparameter.Accepted).Message);
    }
}
