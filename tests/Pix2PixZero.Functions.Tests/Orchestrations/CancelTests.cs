using System.Diagnostics;
using Azure.Storage.Blobs.Models;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// <c>POST /api/edits/{id}/cancel</c> on the Durable test host with Azurite and the tiny model: the orchestration is
/// terminated, the activity that runs stops at its next step, and nothing is published.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class CancelTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_cancelled_request_ends_cancelled_its_running_inversion_stops_and_nothing_is_published()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite.Storage);
        var api = host.Services.GetRequiredService<EditsApi>();
        // 999 steps invert for minutes: only a cancel ends this request within the test.
        var id = await SubmitAsync(
            host,
            api,
            new()
            {
                ["steps"] = "999",
                ["caption"] = "a cat",
                ["sentences"] = "4",
            }
        );
        await WaitForAsync(
            async () => await ProgressBlob.ReadAsync(host.Blobs, id, default) is { Stage.Name: "invert", Step: >= 2 },
            "the inversion's second step"
        );

        var cancelled = await CancelAsync(host, api, id);

        Assert.Equal(202, cancelled.Status);
        Assert.Equal($"http://localhost:7071/api/edits/{id}", cancelled.Body.GetProperty("statusUri").GetString());
        var instance = await host.WaitAsync(id, seconds: 30);
        Assert.Equal(OrchestrationRuntimeStatus.Terminated, instance.RuntimeStatus);

        // The inversion held the model's only slot (ModelConcurrency 1): it is free again once the activity stopped,
        // long before 999 steps could have run, and the progress it reported stops moving.
        var clock = Stopwatch.StartNew();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20)))
        using (await host.Model.EnterAsync(timeout.Token))
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20));
        var stopped = await ProgressBlob.ReadAsync(host.Blobs, id, default);
        await Task.Delay(CancelWatch.Interval * 3);
        Assert.Equal(stopped, await ProgressBlob.ReadAsync(host.Blobs, id, default));
        Assert.True(stopped!.Step < 999, $"the inversion ran to its end ({stopped})");
        Assert.False(await host.Blobs.ExistsAsync(StorageLayout.InvertedLatent(id), default));

        var (_, status) = HttpRequests.Read(
            await api.StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, host.Client, default)
        );
        Assert.Equal(EditsApi.CancelledStatus, status.GetProperty("status").GetString());
        var error = status.GetProperty("error");
        Assert.Equal(
            (EditError.Cancelled, "invert"),
            (error.GetProperty("kind").GetString()!, error.GetProperty("stage").GetString()!)
        );
        Assert.Equal(System.Text.Json.JsonValueKind.Null, status.GetProperty("results").ValueKind);
        Assert.Equal([StorageLayout.Error(id).Name], await ResultFolderAsync(host, id));
        Assert.Equal(404, HttpRequests.Read(await api.ResultAsync(id, "cat2dog", default)).Status);

        // A second cancel (a retried click) answers as the first and changes nothing.
        Assert.Equal(202, (await CancelAsync(host, api, id)).Status);
        Assert.Equal([StorageLayout.Error(id).Name], await ResultFolderAsync(host, id));
    }

    [Fact]
    public async Task A_completed_request_cannot_be_cancelled_and_an_unknown_one_is_a_404()
    {
        await using var host = await PipelineTestHost.StartAsync(azurite.Storage);
        var api = host.Services.GetRequiredService<EditsApi>();
        var id = await SubmitAsync(host, api, new() { ["steps"] = "2", ["sentences"] = "4" });
        await Results.AssertCompleteAsync(host.Blobs, await host.WaitAsync(id), "cat2dog");

        var refused = await CancelAsync(host, api, id);

        Assert.Equal(409, refused.Status);
        Assert.Contains(
            "is Completed: there is nothing left to cancel",
            refused.Body.GetProperty("detail").GetString()
        );
        Assert.IsType<FileStreamResult>(await api.ResultAsync(id, "cat2dog", default));
        Assert.Equal(404, (await CancelAsync(host, api, "no-such-request")).Status);
        Assert.Equal(404, (await CancelAsync(host, api, "..")).Status);
    }

    private static async Task<string> SubmitAsync(
        PipelineTestHost host,
        EditsApi api,
        Dictionary<string, string> fields
    )
    {
        fields["tasks"] = "cat2dog";
        var (status, body) = HttpRequests.Read(
            await api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), fields),
                host.Client,
                default
            )
        );
        Assert.Equal(202, status);
        return body.GetProperty("id").GetString()!;
    }

    private static async Task<(int Status, System.Text.Json.JsonElement Body)> CancelAsync(
        PipelineTestHost host,
        EditsApi api,
        string id
    ) =>
        HttpRequests.Read(
            await api.CancelAsync(
                HttpRequests.Create("POST", $"/api/edits/{id}/cancel", "", null, null),
                id,
                host.Client,
                default
            )
        );

    private static async Task<List<string>> ResultFolderAsync(PipelineTestHost host, string id)
    {
        var names = new List<string>();
        await foreach (
            var blob in host
                .Blobs.Container(StorageLayout.Results)
                .GetBlobsAsync(new GetBlobsOptions { Prefix = StorageLayout.ResultPrefix(id) })
        )
            names.Add(blob.Name);
        return names;
    }

    private static async Task WaitForAsync(Func<Task<bool>> condition, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(2), $"no {what} after 2 minutes");
            await Task.Delay(200);
        }
    }
}
