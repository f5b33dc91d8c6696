using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
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
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("{\"stage\":\"InvertActivity\"}");
        var taken = (await queue.ReceiveMessageAsync(Visibility)).Value;

        await using (new WorkLease(queue, taken, Visibility, NullLogger.Instance))
        {
            // Three whole timeouts: without renewal the item would be visible again after the first.
            await Task.Delay(3 * Visibility);
            Assert.Null((await queue.ReceiveMessageAsync()).Value);
        }
        var back = await ReceiveWithinAsync(queue, TimeSpan.FromSeconds(10));

        Assert.Equal(taken.MessageId, back.MessageId);
        Assert.Equal(taken.Body.ToString(), back.Body.ToString());
        Assert.Equal(2, back.DequeueCount);
    }

    [Fact]
    public async Task A_completed_item_is_deleted_even_after_renewals_changed_its_receipt()
    {
        var queue = await NewQueueAsync();
        await queue.SendMessageAsync("{}");
        var taken = (await queue.ReceiveMessageAsync(Visibility)).Value;

        await using (var lease = new WorkLease(queue, taken, Visibility, NullLogger.Instance))
        {
            await Task.Delay(2 * Visibility);
            await lease.CompleteAsync();
        }

        Assert.Equal(0, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    private async Task<QueueClient> NewQueueAsync()
    {
        var queue = new QueueClient(
            azurite.Storage.ConnectionString,
            $"lease-{Guid.NewGuid():N}",
            new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }
        );
        await queue.CreateAsync();
        return queue;
    }

    // A hidden item reappears when its time is up; queues raise no event for it.
    private static async Task<QueueMessage> ReceiveWithinAsync(QueueClient queue, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (DateTime.UtcNow < deadline)
        {
            if ((await queue.ReceiveMessageAsync()).Value is { } message)
                return message;
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
        throw new TimeoutException($"nothing reappeared on {queue.Name} within {limit}");
    }
}
