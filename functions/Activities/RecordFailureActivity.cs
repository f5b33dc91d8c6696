using Microsoft.DurableTask;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// Leaves a failed request's result folder holding only <c>error.json</c>: whatever a failed publish had copied there
/// is removed first, so no partial result is left looking usable.
/// </summary>
public sealed class RecordFailureActivity(PipelineBlobs blobs) : PipelineActivity<EditError, BlobRef>
{
    protected override async Task<BlobRef> RunActivityAsync(TaskActivityContext context, EditError error)
    {
        await blobs.EnsureContainersAsync();
        await blobs.DeletePrefixAsync(
            StorageLayout.Results,
            StorageLayout.ResultPrefix(error.Id),
            CancellationToken.None
        );
        var blob = StorageLayout.Error(error.Id);
        await blobs.WriteJsonAsync(blob, error, CancellationToken.None);
        return blob;
    }
}
