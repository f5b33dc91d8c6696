namespace Pix2PixZero.Core;

/// <summary>
/// What a failure is, so that each front end answers it the same way: the retry policy retries only
/// <see cref="Transient"/> ones, the HTTP API answers 400 / 500 / 503, the command line exits with 2 for failures that
/// running it again repeats and 1 for ones that may pass.
/// </summary>
public enum FailureKind
{
    /// <summary>Bad input or options: the message says what to change. Retrying repeats it.</summary>
    InvalidInput,

    /// <summary>
    /// Not the input's fault, and retrying the same work repeats it: a model that makes NaN, a model folder with a
    /// broken file, a runtime that does not load. Someone has to change the model or the machine.
    /// </summary>
    Permanent,

    /// <summary>May pass when tried again: storage hiccups, a stopping worker, a download that broke off.</summary>
    Transient,
}
