using System.Text.Json;
using Grpc.Core;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// Raises a GPU worker's <see cref="StageCompletion"/> as the external event its orchestration waits for. Raising the
/// same event twice is harmless: the orchestration waits for each event name once, and Durable keeps the extra one
/// unread. A completion for a request that no longer exists, or has ended (cancelled, timed out), is logged and
/// dropped.
/// </summary>
public sealed class StageCompletionRelay(ILogger<StageCompletionRelay> log)
{
    public async Task RelayAsync(string message, DurableTaskClient client, CancellationToken cancellationToken)
    {
        StageCompletion? completion;
        try
        {
            completion = JsonSerializer.Deserialize<StageCompletion>(message, StageWork.Json);
        }
        catch (JsonException e)
        {
            // Retrying cannot fix it: the queue trigger would only move it to the poison queue after five tries.
            log.LogError(
                "Dropped a message of the completion queue that is not a stage completion: {Reason}",
                e.Message
            );
            return;
        }
        if (completion is not { InstanceId.Length: > 0, Event.Length: > 0 })
        {
            log.LogError("Dropped a stage completion without an instance id or event name");
            return;
        }
        try
        {
            await client.RaiseEventAsync(completion.InstanceId, completion.Event, completion, cancellationToken);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.NotFound or StatusCode.FailedPrecondition)
        {
            log.LogWarning(
                "Dropped the completion of {Stage} for {Id}: no such running request ({Reason})",
                completion.Stage,
                completion.InstanceId,
                InputText.Shorten(e.Status.Detail)
            );
        }
    }
}
