using Azure;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// Stops a model activity once its request has ended elsewhere. Terminating an orchestration does not reach the
/// activities it has running, so the cancel API records the request's <c>error.json</c> (kind
/// <see cref="EditError.Cancelled"/>) and each long activity polls for it every <see cref="Interval"/>; the
/// <see cref="Token"/> it then cancels is the one the pipeline checks at every step. The record is the signal because
/// it is the one every ended request has: nothing of a finished or failed request is worth computing further either.
/// </summary>
public sealed class CancelWatch : IAsyncDisposable
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _source;
    private readonly CancellationTokenSource _done = new();
    private readonly Task _polling;

    private CancelWatch(PipelineBlobs blobs, string requestId, CancellationToken stopping)
    {
        _source = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _polling = PollAsync(blobs, StorageLayout.Error(requestId));
    }

    /// <summary>Cancelled when the request has ended or the worker stops.</summary>
    public CancellationToken Token => _source.Token;

    public static CancelWatch Start(PipelineBlobs blobs, string requestId, CancellationToken stopping) =>
        new(blobs, requestId, stopping);

    // The first look is immediate: an activity that starts after its request was cancelled does no work at all.
    private async Task PollAsync(PipelineBlobs blobs, BlobRef record)
    {
        using var either = CancellationTokenSource.CreateLinkedTokenSource(_done.Token, _source.Token);
        try
        {
            do
            {
                try
                {
                    if (await blobs.ExistsAsync(record, either.Token))
                    {
                        await _source.CancelAsync();
                        return;
                    }
                }
                catch (RequestFailedException)
                {
                    // Storage away: the work goes on, and the next look may see the record.
                }
                await Task.Delay(Interval, either.Token);
            } while (true);
        }
        catch (OperationCanceledException) when (either.IsCancellationRequested) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _done.CancelAsync();
        await _polling;
        _source.Dispose();
        _done.Dispose();
    }
}
