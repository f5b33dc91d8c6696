using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// A cross-worker mutex: a lease on a small lock blob, renewed while held. A worker that dies without releasing it
/// blocks the others for at most one lease period (<see cref="Duration"/>).
/// </summary>
public sealed class BlobLease : IAsyncDisposable
{
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(250);

    private readonly BlobLeaseClient _lease;
    private readonly CancellationTokenSource _stopRenewing = new();
    private readonly Task _renewing;

    private BlobLease(BlobLeaseClient lease)
    {
        _lease = lease;
        _renewing = RenewAsync(_stopRenewing.Token);
    }

    /// <summary>
    /// Waits until this caller holds the lease on <paramref name="lockBlob"/> (created empty if missing).
    /// </summary>
    public static async Task<BlobLease> AcquireAsync(BlobClient lockBlob, CancellationToken cancellationToken)
    {
        try
        {
            await lockBlob.UploadAsync(BinaryData.Empty, overwrite: false, cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status is 409 or 412)
        {
            // Exists already, possibly leased by another worker right now: that is the normal case.
        }
        var lease = lockBlob.GetBlobLeaseClient();
        while (true)
        {
            try
            {
                await lease.AcquireAsync(Duration, cancellationToken: cancellationToken);
                return new BlobLease(lease);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                await Task.Delay(Poll, cancellationToken);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopRenewing.CancelAsync();
        await _renewing;
        try
        {
            await _lease.ReleaseAsync();
        }
        catch (RequestFailedException)
        {
            // Lost already (expired or broken): nothing is held any more.
        }
        _stopRenewing.Dispose();
    }

    private async Task RenewAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(Duration / 3, stop);
                await _lease.RenewAsync(cancellationToken: stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (RequestFailedException)
            {
                // A missed renewal is retried at the next tick; the lease outlives two of them.
            }
        }
    }
}
