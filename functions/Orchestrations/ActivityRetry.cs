using Microsoft.DurableTask;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>
/// How a request's activities retry: up to <see cref="Attempts"/> tries with exponential back-off from
/// <see cref="FirstInterval"/>, for failures that may pass (storage hiccups, a worker stopping mid-activity, a lost
/// GPU, a model folder that could not be loaded, a pull that broke off). Any other <see cref="Pix2PixZeroException"/> means
/// bad input and fails at once. Travels in the
/// orchestration input (orchestrators get no services), taken from the app's settings when the request starts.
/// </summary>
public sealed record ActivityRetry(int Attempts, TimeSpan FirstInterval)
{
    public TaskOptions Options() =>
        TaskOptions.FromRetryPolicy(new RetryPolicy(Attempts, FirstInterval, backoffCoefficient: 2)
        {
            HandleFailure = failure => !IsUserError(failure),
        });

    public static bool IsUserError(TaskFailureDetails failure) =>
        failure.IsCausedBy<Pix2PixZeroException>() && !failure.IsCausedBy<ModelBundleException>() && !failure.IsCausedBy<HubException>();
}
