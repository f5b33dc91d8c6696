using Azure.Storage.Queues;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.GpuStages;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// The control plane with its GPU stages queued (<c>GpuStages=Queue</c>) on the Durable test host, and what the
/// Functions queue trigger does for it: completions taken from the completion queue and relayed by the app's own
/// <see cref="StageCompletionRelay"/> to the test host's client. The work and completion queues start empty.
/// </summary>
public sealed class ServerlessControlPlane : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _relaying;

    private ServerlessControlPlane(PipelineTestHost host)
    {
        Host = host;
        _relaying = RelayAsync(_stop.Token);
    }

    public PipelineTestHost Host { get; }

    public DurableTaskClient Client => Host.Client;

    public PipelineBlobs Blobs => Host.Blobs;

    public QueueClient WorkQueue => Host.Services.GetRequiredService<StorageQueues>().Client(StorageQueues.Work);

    public static async Task<ServerlessControlPlane> StartAsync(
        Azurite storage,
        IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null
    )
    {
        var values = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["GpuStages"] = "Queue",
        };
        var host = await PipelineTestHost.StartAsync(storage, values, services);
        var queues = host.Services.GetRequiredService<StorageQueues>();
        await queues.EnsureQueuesAsync();
        foreach (var name in new[] { StorageQueues.Work, StorageQueues.Completions })
            await queues.Client(name).ClearMessagesAsync();
        return new ServerlessControlPlane(host);
    }

    /// <summary>Uploads into the inbox and submits it as the inbox trigger would.</summary>
    public async Task<string> SubmitAsync(string name, IDictionary<string, string> options, string photo = "cat_1.png")
    {
        var upload = await Host.UploadToInboxAsync(name, TinyModel.Photo(photo), options);
        var submission = await Host.SubmitAsync(upload);
        Assert.True(submission.Started);
        return submission.InstanceId;
    }

    public async Task<int> QueuedWorkAsync() => (await WorkQueue.GetPropertiesAsync()).Value.ApproximateMessagesCount;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _relaying;
        }
        catch (OperationCanceledException) { }
        await Host.DisposeAsync();
        _stop.Dispose();
    }

    private async Task RelayAsync(CancellationToken stop)
    {
        var queue = Host.Services.GetRequiredService<StorageQueues>().Client(StorageQueues.Completions);
        var relay = Host.Services.GetRequiredService<StageCompletionRelay>();
        while (!stop.IsCancellationRequested)
        {
            var messages = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromSeconds(30), stop)).Value;
            foreach (var message in messages)
            {
                await relay.RelayAsync(message.Body.ToString(), Client, stop);
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, stop);
            }
            if (messages.Length == 0)
                await Task.Delay(TimeSpan.FromMilliseconds(100), stop);
        }
    }
}
