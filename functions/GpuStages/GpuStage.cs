using System.Text.Json;
using Microsoft.DurableTask;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// Runs a GPU stage from an orchestrator, where the request's <see cref="GpuStageRouting"/> says: in process as the
/// activity itself, or on a GPU worker: enqueue a <see cref="StageWork"/> (<see cref="EnqueueStageActivity"/>), then
/// wait for its <see cref="StageCompletion"/> as an external event, at most <see cref="GpuStageRouting.Timeout"/>.
/// A transient failure is tried again as the activity retry policy would (a new attempt, a new event name); any
/// other failure, or no answer in time, fails the stage as a <see cref="Pix2PixZeroException"/> of its kind.
/// </summary>
public static class GpuStage
{
    public static Task<TOutput> RunAsync<TOutput>(
        TaskOrchestrationContext context,
        string activity,
        object input,
        ActivityRetry retry,
        GpuStageRouting? routing
    ) =>
        routing is { Dispatch: StageDispatch.Queue } queued
            ? QueueAsync<TOutput>(context, activity, input, retry, queued.Timeout)
            : context.CallActivityAsync<TOutput>(activity, input, retry.Options());

    private static async Task<TOutput> QueueAsync<TOutput>(
        TaskOrchestrationContext context,
        string activity,
        object input,
        ActivityRetry retry,
        TimeSpan timeout
    )
    {
        var payload = JsonSerializer.SerializeToElement(input, input.GetType(), StageWork.Json);
        for (var attempt = 1; ; attempt++)
        {
            // NewGuid is deterministic in orchestrations: a replay waits for the same event.
            var work = new StageWork(
                context.InstanceId,
                activity,
                attempt,
                $"{activity}-{context.NewGuid():N}",
                payload
            );
            await context.CallActivityAsync<string>(nameof(EnqueueStageActivity), work, retry.Options());
            StageCompletion completion;
            try
            {
                completion = await context.WaitForExternalEvent<StageCompletion>(work.Event, timeout);
            }
            catch (TaskCanceledException)
            {
                throw new Pix2PixZeroException(
                    FailureKind.Permanent,
                    $"the GPU stage {activity} (attempt {attempt}) did not report back within {timeout}: no GPU "
                        + "worker took it from the queue, or it ran longer; check the GPU app's replicas and logs "
                        + "(or raise Pix2PixZero__GpuStageTimeout), then submit the request again"
                );
            }
            if (completion.Succeeded)
                return completion.Output!.Value.Deserialize<TOutput>(StageWork.Json)!;
            var kind = completion.FailureKind!.Value;
            if (kind != FailureKind.Transient || attempt >= retry.Attempts)
                throw new Pix2PixZeroException(kind, completion.Error ?? $"the GPU stage {activity} failed");
            await context.CreateTimer(retry.FirstInterval * Math.Pow(2, attempt - 1), CancellationToken.None);
        }
    }
}
