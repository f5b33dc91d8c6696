using System.Text.Json;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// The GPU worker's loop, one stage at a time: take a work item (hidden for
/// <see cref="GpuWorkerSettings.WorkVisibility"/>, renewed while the stage runs), run its stage
/// (<see cref="StageTable"/>), which writes its outputs to blobs, report a <see cref="StageCompletion"/> on the
/// completion queue, and only then delete the item. A worker that stops mid-stage reports nothing and deletes nothing:
/// the item reappears for the next worker. An item delivered more than <see cref="GpuWorkerSettings.MaxDeliveries"/>
/// times is reported as failed; one whose request was cancelled (<see cref="EndedRequest"/>) is dropped, also while
/// its stage runs.
/// </summary>
public sealed class StageWorker(
    IServiceProvider services,
    StorageQueues queues,
    PipelineBlobs blobs,
    GpuWorkerSettings settings,
    IHostApplicationLifetime lifetime,
    ILogger<StageWorker> log
) : BackgroundService
{
    private static readonly TimeSpan FirstIdlePoll = TimeSpan.FromMilliseconds(100);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await queues.EnsureQueuesAsync(stoppingToken);
        var queue = queues.Client(StorageQueues.Work);
        var idle = FirstIdlePoll;
        while (!stoppingToken.IsCancellationRequested)
        {
            QueueMessage? message = null;
            try
            {
                message = (await queue.ReceiveMessageAsync(settings.WorkVisibility, stoppingToken)).Value;
            }
            catch (RequestFailedException e)
            {
                log.LogWarning("Could not read the work queue: {Reason}", e.Message);
            }
            if (message is null)
            {
                // Queues do not push; the wait grows while the queue stays empty.
                await Task.Delay(idle, stoppingToken);
                idle = TimeSpan.FromTicks(Math.Min(idle.Ticks * 2, settings.IdlePoll.Ticks));
                continue;
            }
            idle = FirstIdlePoll;
            await ProcessAsync(queue, message, stoppingToken);
        }
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken stoppingToken)
    {
        await using var lease = new WorkLease(queue, message, settings.WorkVisibility, log);
        if (Read(message) is not { } work)
        {
            log.LogError("Dropped message {Message} of the work queue: it is not a work item", message.MessageId);
            await lease.CompleteAsync();
            return;
        }
        if (message.DequeueCount > settings.MaxDeliveries)
        {
            log.LogError(
                "Work item {Stage} of {Id} was delivered {Count} times; reporting it failed",
                work.Stage,
                work.InstanceId,
                message.DequeueCount
            );
            await ReportAsync(
                StageCompletion.Failed(
                    work,
                    FailureKind.Permanent,
                    $"the GPU stage {work.Stage} was delivered {message.DequeueCount} times and no GPU worker "
                        + "finished it (each stopped while running it: a crash, or out of memory; see the GPU "
                        + "app's logs); submit the request again once the cause is fixed"
                )
            );
            await lease.CompleteAsync();
            return;
        }
        if (await EndedRequest.IsEndedAsync(blobs, work.InstanceId, stoppingToken))
        {
            log.LogInformation("Dropped {Stage} of {Id}: the request was cancelled", work.Stage, work.InstanceId);
            await lease.CompleteAsync();
            return;
        }

        using var cancelled = new CancellationTokenSource();
        using var stage = CancellationTokenSource.CreateLinkedTokenSource(
            stoppingToken,
            lifetime.ApplicationStopping,
            cancelled.Token
        );
        var watching = WatchForEndAsync(work.InstanceId, cancelled, stage.Token);
        StageCompletion completion;
        try
        {
            log.LogInformation(
                "Running {Stage} of {Id} (attempt {Attempt}, delivery {Count})",
                work.Stage,
                work.InstanceId,
                work.Attempt,
                message.DequeueCount
            );
            completion = StageCompletion.Done(work, await StageTable.RunAsync(services, work, stage.Token));
        }
        catch (OperationCanceledException) when (cancelled.IsCancellationRequested)
        {
            log.LogInformation("Stopped {Stage} of {Id}: the request was cancelled", work.Stage, work.InstanceId);
            await lease.CompleteAsync();
            return;
        }
        catch (OperationCanceledException) when (stage.IsCancellationRequested)
        {
            log.LogWarning(
                "Worker stopping: {Stage} of {Id} left unfinished; it reappears for another worker",
                work.Stage,
                work.InstanceId
            );
            return;
        }
        catch (Exception e)
        {
            completion = StageCompletion.Failed(work, KindOf(e), e.Message);
        }
        finally
        {
            await stage.CancelAsync();
            await watching;
        }
        await ReportAsync(completion);
        await lease.CompleteAsync();
    }

    // Outside failures (storage, a lost device) may pass, as for activities (ActivityRetry.KindOf).
    private static FailureKind KindOf(Exception failure) =>
        failure switch
        {
            Pix2PixZeroException known => known.Kind,
            JsonException => FailureKind.Permanent,
            _ => FailureKind.Transient,
        };

    private static StageWork? Read(QueueMessage message)
    {
        try
        {
            return
                message.Body.ToObjectFromJson<StageWork>(StageWork.Json)
                    is { InstanceId.Length: > 0, Stage.Length: > 0, Event.Length: > 0 } work
                ? work
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private Task ReportAsync(StageCompletion completion) =>
        queues
            .Client(StorageQueues.Completions)
            .SendMessageAsync(JsonSerializer.Serialize(completion, StageWork.Json), CancellationToken.None);

    private async Task WatchForEndAsync(string id, CancellationTokenSource cancelled, CancellationToken stage)
    {
        using var timer = new PeriodicTimer(settings.CancelPoll);
        try
        {
            while (await timer.WaitForNextTickAsync(stage))
                try
                {
                    if (await EndedRequest.IsEndedAsync(blobs, id, stage))
                    {
                        await cancelled.CancelAsync();
                        return;
                    }
                }
                catch (RequestFailedException e)
                {
                    log.LogWarning("Could not look for the error record of {Id}: {Reason}", id, e.Message);
                }
        }
        catch (OperationCanceledException) when (stage.IsCancellationRequested) { }
    }
}
