using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>The control plane's end of the GPU stages: each completion a worker reports reaches its request.</summary>
public sealed class StageCompletionTrigger(StageCompletionRelay relay)
{
    [Function("GpuStageCompletion")]
    public Task RunAsync(
        [QueueTrigger(StorageQueues.Completions, Connection = StorageConnection.Name)] string message,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => relay.RelayAsync(message, client, cancellationToken);
}
