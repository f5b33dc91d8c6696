namespace Pix2PixZero.Core;

/// <summary>
/// User-supplied input (a word, a sentence file, an embedding file, a stored artefact) that cannot be used.
/// </summary>
public sealed class InvalidInputException : Pix2PixZeroException
{
    public InvalidInputException(string message)
        : base(FailureKind.InvalidInput, message) { }

    public InvalidInputException(string message, Exception inner)
        : base(FailureKind.InvalidInput, message, inner) { }
}
