using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// Keeps a taken work item hidden while its stage runs: every third of the visibility timeout it is hidden for a
/// whole timeout again (each renewal gives a new pop receipt). Once renewal stops, because the worker stopped or
/// died, the item reappears for another worker at most one timeout later.
/// </summary>
public sealed class WorkLease : IAsyncDisposable
{
    private readonly QueueClient _queue;
    private readonly string _messageId;
    private readonly TimeSpan _visibility;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewing;
    private string _popReceipt;

    public WorkLease(QueueClient queue, QueueMessage message, TimeSpan visibility, ILogger log)
    {
        _queue = queue;
        _messageId = message.MessageId;
        _popReceipt = message.PopReceipt;
        _visibility = visibility;
        _log = log;
        _renewing = RenewAsync();
    }

    /// <summary>Stops renewing and deletes the item: its stage is done and reported.</summary>
    public async Task CompleteAsync()
    {
        await StopAsync();
        try
        {
            await _queue.DeleteMessageAsync(_messageId, _popReceipt, CancellationToken.None);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            // A renewal failed, the item reappeared and another worker holds it now;
            // its completion will repeat this one's, and the second is ignored.
            _log.LogWarning("Work item {Message} was taken over by another worker: {Reason}", _messageId, e.Message);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task StopAsync()
    {
        if (!_stop.IsCancellationRequested)
            await _stop.CancelAsync();
        await _renewing;
    }

    private async Task RenewAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_visibility / 3, _stop.Token);
                try
                {
                    var renewed = await _queue.UpdateMessageAsync(
                        _messageId,
                        _popReceipt,
                        message: (BinaryData?)null,
                        _visibility,
                        _stop.Token
                    );
                    _popReceipt = renewed.Value.PopReceipt;
                }
                catch (RequestFailedException e)
                {
                    _log.LogWarning("Could not renew work item {Message}: {Reason}", _messageId, e.Message);
                    if (e.Status == 404)
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
    }
}
