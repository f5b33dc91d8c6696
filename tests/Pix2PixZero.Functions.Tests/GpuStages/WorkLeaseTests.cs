using Azure.Storage.Queues;
using Microsoft.Extensions.Logging.Abstractions;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Tests.Support;

namespace Pix2PixZero.Functions.Tests.GpuStages;

/// <summary>
/// A work item held by a worker stays hidden for as long as the worker holds it, however long past its visibility
/// timeout, and comes back unchanged once the worker lets go without finishing; a finished one is gone.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class WorkLeaseTests(AzuriteFixture azurite)
{
    private static readonly TimeSpan Visibility = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task A_held_item_stays_hidden_past_its_timeout_and_reappears_unchanged_once_let_go()
    {
        // The seventh renewal comes more than two whole timeouts after the item was taken (one every third of it):
        // without renewal the item would have been visible again after the first.
        var renewals = new StorageTap("PUT", "/messages/") { SignalAt = 7 };
        var queue = await NewQueueAsync(renewals);
        await queue.SendMessageAsync("{\"stage\":\"InvertActivity\"}");
        var taken = (await queue.ReceiveMessageAsync(Visibility)).Value;

        await using (new WorkLease(queue, taken, Visibility, NullLogger.Instance))
        {
            await renewals.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Null((await queue.ReceiveMessageAsync()).Value);
        }
        // Let go, the item is back at most one timeout after the last renewal, which came before the lease stopped.
        await Task.Delay(Visibility + TimeSpan.FromMilliseconds(500));
        var back = (await queue.ReceiveMessageAsync()).Value;

        Assert.NotNull(back);
        Assert.Equal(taken.MessageId, back.MessageId);
        Assert.Equal(taken.Body.ToString(), back.Body.ToString());
        Assert.Equal(2, back.DequeueCount);
    }

    [Fact]
    public async Task A_completed_item_is_deleted_even_after_renewals_changed_its_receipt()
    {
        var renewals = new StorageTap("PUT", "/messages/") { SignalAt = 2 };
        var queue = await NewQueueAsync(renewals);
        await queue.SendMessageAsync("{}");
        var taken = (await queue.ReceiveMessageAsync(Visibility)).Value;

        await using (var lease = new WorkLease(queue, taken, Visibility, NullLogger.Instance))
        {
            await renewals.Reached.WaitAsync(TimeSpan.FromSeconds(30));
            await lease.CompleteAsync();
        }

        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    private async Task<QueueClient> NewQueueAsync(StorageTap renewals)
    {
        var queue = StorageTap.Queues(azurite.Storage, renewals).GetQueueClient($"lease-{Guid.NewGuid():N}");
        await queue.CreateAsync();
        return queue;
    }
}
