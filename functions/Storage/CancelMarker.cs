namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// A request's cancel marker, <c>work/{id}/cancelled.json</c>. Terminating an orchestration cannot reach a stage that a
/// GPU worker is running in another app, so the cancel path also sets this marker, which the worker looks for while
/// the stage runs (<see cref="GpuStages.GpuWorkerSettings.CancelPoll"/>) and before it starts one.
/// </summary>
public static class CancelMarker
{
    private sealed record Marker(string Id, DateTimeOffset CancelledAt);

    /// <summary>Marks the request cancelled; setting it again is harmless.</summary>
    public static Task SetAsync(PipelineBlobs blobs, string id, CancellationToken cancellationToken) =>
        blobs.WriteJsonAsync(StorageLayout.CancelMarker(id), new Marker(id, DateTimeOffset.UtcNow), cancellationToken);

    public static Task<bool> IsSetAsync(PipelineBlobs blobs, string id, CancellationToken cancellationToken) =>
        blobs.ExistsAsync(StorageLayout.CancelMarker(id), cancellationToken);
}
