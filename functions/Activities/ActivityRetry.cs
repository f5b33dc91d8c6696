using Microsoft.DurableTask;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// How a request's activities retry: up to <see cref="Attempts"/> tries with exponential back-off from
/// <see cref="FirstInterval"/>, for <see cref="FailureKind.Transient"/> failures only. Travels in the orchestration
/// input (orchestrators get no services), taken from the app's settings when the request starts.
/// </summary>
public sealed record ActivityRetry(int Attempts, TimeSpan FirstInterval)
{
    /// <summary>The policy the app's settings give each request it starts.</summary>
    public static ActivityRetry For(AppSettings settings) =>
        new(settings.ActivityAttempts, settings.FirstRetryInterval);

    public TaskOptions Options() =>
        TaskOptions.FromRetryPolicy(
            new RetryPolicy(Attempts, FirstInterval, backoffCoefficient: 2)
            {
                HandleFailure = failure => KindOf(failure) == FailureKind.Transient,
            }
        );

    /// <summary>
    /// The kind of an activity's failure, from the <see cref="ActivityFailure"/> type it arrives as. Failures from
    /// outside the project (storage, a stopping worker, a lost GPU) may pass.
    /// </summary>
    public static FailureKind KindOf(TaskFailureDetails failure) =>
        failure.IsCausedBy<InvalidInputFailure>() ? FailureKind.InvalidInput
        : failure.IsCausedBy<PermanentFailure>() ? FailureKind.Permanent
        : FailureKind.Transient;

    /// <summary>
    /// The kind of a failure caught in orchestration code: an activity's, or one the orchestrator raised itself.
    /// </summary>
    public static FailureKind KindOf(Exception failure) =>
        failure switch
        {
            TaskFailedException activity => KindOf(activity.FailureDetails),
            Pix2PixZeroException known => known.Kind,
            _ => FailureKind.Permanent,
        };
}
