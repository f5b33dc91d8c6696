using Microsoft.DurableTask;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// An activity's <see cref="Pix2PixZeroException"/> on its way to the orchestrator. The Durable runtime hands the
/// orchestrator only an exception's type name and message (<see cref="TaskFailureDetails"/>), not its
/// <see cref="Pix2PixZeroException.Kind"/>, so the kind travels as the type: one small type per kind, which the retry
/// policy reads back with <see cref="TaskFailureDetails.IsCausedBy{T}"/>. The message is the original one, and the
/// original exception is the inner one.
/// </summary>
public abstract class ActivityFailure : Pix2PixZeroException
{
    private protected ActivityFailure(FailureKind kind, Pix2PixZeroException failure)
        : base(kind, failure.Message, failure) { }

    public static ActivityFailure Of(Pix2PixZeroException failure) =>
        failure.Kind switch
        {
            FailureKind.InvalidInput => new InvalidInputFailure(failure),
            FailureKind.Transient => new TransientFailure(failure),
            _ => new PermanentFailure(failure),
        };
}

/// <summary>An activity failed on the request's input or options: <see cref="FailureKind.InvalidInput"/>.</summary>
public sealed class InvalidInputFailure : ActivityFailure
{
    internal InvalidInputFailure(Pix2PixZeroException failure)
        : base(FailureKind.InvalidInput, failure) { }
}

/// <summary>An activity failed in a way trying again repeats: <see cref="FailureKind.Permanent"/>.</summary>
public sealed class PermanentFailure : ActivityFailure
{
    internal PermanentFailure(Pix2PixZeroException failure)
        : base(FailureKind.Permanent, failure) { }
}

/// <summary>An activity failed in a way that may pass: <see cref="FailureKind.Transient"/>.</summary>
public sealed class TransientFailure : ActivityFailure
{
    internal TransientFailure(Pix2PixZeroException failure)
        : base(FailureKind.Transient, failure) { }
}
