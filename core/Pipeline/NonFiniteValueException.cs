namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// A stage produced NaN or ±∞: the run cannot give a usable picture. Not the user's input and not passing: the
/// model's weights are corrupt or overflow in their precision, so retrying the same run gives the same result.
/// </summary>
public sealed class NonFiniteValueException(string stage, string message)
    : Pix2PixZeroException(FailureKind.Permanent, message)
{
    /// <summary>"text encoder", "encode", "invert", "reference pass", "edit" or "decode".</summary>
    public string Stage { get; } = stage;
}
