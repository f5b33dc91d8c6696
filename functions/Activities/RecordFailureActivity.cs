using Microsoft.DurableTask;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// Leaves a failed request's result folder holding only <c>error.json</c>
/// (<see cref="PipelineBlobs.RecordErrorAsync"/>): whatever a failed publish had copied there is removed, so no partial
/// result is left looking usable.
/// </summary>
public sealed class RecordFailureActivity(PipelineBlobs blobs) : PipelineActivity<EditError, BlobRef>
{
    protected override Task<BlobRef> RunActivityAsync(TaskActivityContext context, EditError error) =>
        blobs.RecordErrorAsync(error);
}
