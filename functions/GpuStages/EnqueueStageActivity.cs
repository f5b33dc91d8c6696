using System.Text.Json;
using Microsoft.DurableTask;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// Puts one GPU stage on the work queue. Retried like any activity: a work item sent twice runs twice and writes the
/// same blobs, and its second completion is ignored.
/// </summary>
public sealed class EnqueueStageActivity(StorageQueues queues) : PipelineActivity<StageWork, string>
{
    protected override async Task<string> RunActivityAsync(TaskActivityContext context, StageWork work)
    {
        await queues.EnsureQueuesAsync();
        var sent = await queues
            .Client(StorageQueues.Work)
            .SendMessageAsync(JsonSerializer.Serialize(work, StageWork.Json), CancellationToken.None);
        return sent.Value.MessageId;
    }
}
