namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// Whether a request has ended elsewhere: every ended request that did not complete has its <c>error.json</c>, and the
/// cancel API writes one (kind <see cref="EditError.Cancelled"/>) when it terminates the orchestration. Terminating
/// cannot reach a stage that a GPU worker runs in another app, so the worker looks for the record before it starts a
/// stage and while it runs (<see cref="GpuStages.GpuWorkerSettings.CancelPoll"/>), as in-process activities do
/// (<see cref="Activities.CancelWatch"/>).
/// </summary>
public static class EndedRequest
{
    public static Task<bool> IsEndedAsync(PipelineBlobs blobs, string id, CancellationToken cancellationToken) =>
        blobs.ExistsAsync(StorageLayout.Error(id), cancellationToken);
}
