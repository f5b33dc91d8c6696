using Microsoft.DurableTask;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>What a failure was: the request's fault, one that retrying repeats, or one that may pass.</summary>
public enum FailureKind
{
    /// <summary>Bad input or options: the message says what to change. Not retried.</summary>
    InvalidRequest,

    /// <summary>The same run fails the same way again (a model that makes NaN). Not retried.</summary>
    Permanent,

    /// <summary>Storage hiccups, a stopping worker, a lost GPU, a model folder not loaded yet, a pull that broke off.</summary>
    Transient,
}

/// <summary>
/// How a request's activities retry: up to <see cref="Attempts"/> tries with exponential back-off from
/// <see cref="FirstInterval"/>, for <see cref="FailureKind.Transient"/> failures only. Travels in the orchestration
/// input (orchestrators get no services), taken from the app's settings when the request starts.
/// </summary>
public sealed record ActivityRetry(int Attempts, TimeSpan FirstInterval)
{
    public TaskOptions Options() =>
        TaskOptions.FromRetryPolicy(new RetryPolicy(Attempts, FirstInterval, backoffCoefficient: 2)
        {
            HandleFailure = failure => KindOf(failure) == FailureKind.Transient,
        });

    /// <summary>The kind of an activity's failure, read from the exception types it carries.</summary>
    public static FailureKind KindOf(TaskFailureDetails failure) =>
        failure.IsCausedBy<NonFiniteValueException>() ? FailureKind.Permanent
        : failure.IsCausedBy<Pix2PixZeroException>() && !failure.IsCausedBy<ModelBundleException>() && !failure.IsCausedBy<HubException>() ? FailureKind.InvalidRequest
        : FailureKind.Transient;

    /// <summary>The kind of a failure raised by orchestration code itself (not by an activity).</summary>
    public static FailureKind KindOf(Exception failure) => failure switch
    {
        TaskFailedException activity => KindOf(activity.FailureDetails),
        NonFiniteValueException => FailureKind.Permanent,
        ModelBundleException or HubException => FailureKind.Transient,
        Pix2PixZeroException => FailureKind.InvalidRequest,
        _ => FailureKind.Permanent,
    };
}
