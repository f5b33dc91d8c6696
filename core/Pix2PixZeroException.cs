namespace Pix2PixZero.Core;

/// <summary>
/// A failure explained for users: its message says what was wrong, with what value, and what to do; front ends print
/// it without a stack trace. <see cref="Kind"/> says whose it is and whether trying again can help.
/// </summary>
public class Pix2PixZeroException : Exception
{
    public Pix2PixZeroException(FailureKind kind, string message)
        : base(message) => Kind = kind;

    public Pix2PixZeroException(FailureKind kind, string message, Exception? inner)
        : base(message, inner) => Kind = kind;

    public FailureKind Kind { get; }
}
