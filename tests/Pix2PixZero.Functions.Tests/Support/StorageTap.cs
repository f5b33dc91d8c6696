using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// Watches one kind of storage request a host makes (method, a path fragment, optionally a fragment of its body)
/// and, as a test asks: signals the <see cref="SignalAt"/>th one once it succeeded (<see cref="Reached"/>), holds the
/// first one until the request's own token is cancelled (a write to storage that hangs), sends every one twice (a
/// queue delivering a message twice), and counts them.
/// </summary>
public sealed class StorageTap(string method, string path, string? body = null) : HttpPipelinePolicy
{
    private readonly TaskCompletionSource _reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _count;

    /// <summary>Hold the first matching request (until its token is cancelled, or 30 s).</summary>
    public bool HoldFirst { get; init; }

    /// <summary>Which matching request <see cref="Reached"/> waits for (counting from 1).</summary>
    public int SignalAt { get; init; } = 1;

    /// <summary>Send every matching request twice.</summary>
    public bool SendTwice { get; init; }

    public Task Reached => _reached.Task;

    public int Count => Volatile.Read(ref _count);

    /// <summary>A blob service whose requests pass <paramref name="taps"/>, for a host to use.</summary>
    public static BlobServiceClient Blobs(Azurite storage, params StorageTap[] taps)
    {
        var options = new BlobClientOptions();
        foreach (var tap in taps)
            options.AddPolicy(tap, HttpPipelinePosition.PerCall);
        return new BlobServiceClient(storage.ConnectionString, options);
    }

    /// <summary>A queue service (Base64 messages, as the app's) whose requests pass <paramref name="taps"/>.</summary>
    public static QueueServiceClient Queues(Azurite storage, params StorageTap[] taps)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        foreach (var tap in taps)
            options.AddPolicy(tap, HttpPipelinePosition.PerCall);
        return new QueueServiceClient(storage.ConnectionString, options);
    }

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline) =>
        ProcessAsync(message, pipeline).AsTask().GetAwaiter().GetResult();

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        if (!Matches(message.Request))
        {
            await ProcessNextAsync(message, pipeline);
            return;
        }
        var seen = Interlocked.Increment(ref _count);
        if (seen == 1 && HoldFirst)
        {
            _reached.TrySetResult();
            await Task.Delay(TimeSpan.FromSeconds(30), message.CancellationToken);
        }
        await ProcessNextAsync(message, pipeline);
        if (SendTwice && message.Response.Status < 300)
        {
            Interlocked.Increment(ref _count);
            await ProcessNextAsync(message, pipeline);
        }
        if (message.Response.Status < 300 && seen == SignalAt)
            _reached.TrySetResult();
    }

    private bool Matches(Request request)
    {
        if (request.Method.Method != method || !Uri.UnescapeDataString(request.Uri.Path).Contains(path))
            return false;
        if (body is null)
            return true;
        using var content = new MemoryStream();
        request.Content?.WriteTo(content, CancellationToken.None);
        return System.Text.Encoding.UTF8.GetString(content.ToArray()).Contains(body, StringComparison.Ordinal);
    }
}
