namespace Pix2PixZero.Core;

/// <summary>
/// A problem the user can fix (bad input, a broken model folder, an invalid option). Its message says what was
/// wrong and with what value; front ends print it without a stack trace.
/// </summary>
public class Pix2PixZeroException : Exception
{
    public Pix2PixZeroException(string message) : base(message) { }

    public Pix2PixZeroException(string message, Exception inner) : base(message, inner) { }
}
