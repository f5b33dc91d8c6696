using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Triggers;

[Collection(StorageCollection.Name)]
public sealed class DirectionsApiTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private PipelineTestHost _host = null!;

    private DirectionsApi Api => _host.Services.GetRequiredService<DirectionsApi>();

    public async Task InitializeAsync() => _host = await PipelineTestHost.StartAsync(azurite.Storage);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_posted_word_is_computed_once_and_then_described_by_get()
    {
        var first = HttpRequests.Read(
            await Api.ComputeAsync(
                HttpRequests.Json("/api/directions", new { word = "Giraffe", count = 8 }),
                _host.Client,
                default
            )
        );
        Assert.Equal(202, first.Status);
        await _host.WaitAsync(first.Body.GetProperty("instanceId").GetString()!);

        var described = HttpRequests.Read(
            await Api.DescribeAsync(HttpRequests.Get("/api/directions/giraffe", "?count=8"), "giraffe", default)
        );
        Assert.Equal(200, described.Status);
        Assert.Equal(
            ("giraffe", 8),
            (described.Body.GetProperty("word").GetString(), described.Body.GetProperty("sentenceCount").GetInt32())
        );
        Assert.StartsWith("directions/", described.Body.GetProperty("blob").GetString());

        var again = HttpRequests.Read(
            await Api.ComputeAsync(
                HttpRequests.Json("/api/directions", new { word = "giraffe", count = 8 }),
                _host.Client,
                default
            )
        );
        Assert.Equal(200, again.Status);
    }

    [Fact]
    public async Task Sentences_given_with_the_word_make_their_own_mean_found_by_their_set_hash()
    {
        string[] sentences = ["A giraffe in a field.", "  ", "The tall giraffe eats leaves.", "A giraffe at the zoo."];
        var posted = HttpRequests.Read(
            await Api.ComputeAsync(
                HttpRequests.Json("/api/directions", new { word = "giraffe", sentences }),
                _host.Client,
                default
            )
        );
        Assert.Equal(202, posted.Status);
        Assert.Equal(3, posted.Body.GetProperty("sentenceCount").GetInt32());
        await _host.WaitAsync(posted.Body.GetProperty("instanceId").GetString()!);

        var hash = posted.Body.GetProperty("sentenceSetHash").GetString()!;
        var described = HttpRequests.Read(
            await Api.DescribeAsync(HttpRequests.Get("/api/directions/giraffe", $"?set={hash}"), "giraffe", default)
        );
        Assert.Equal((200, 3), (described.Status, described.Body.GetProperty("sentenceCount").GetInt32()));
    }

    [Fact]
    public async Task Bad_words_and_unknown_means_are_problems()
    {
        var (status, body) = HttpRequests.Read(
            await Api.ComputeAsync(
                HttpRequests.Json("/api/directions", new { word = "cat/dog" }),
                _host.Client,
                default
            )
        );
        Assert.Equal(400, status);
        Assert.Contains("contains '/'", body.GetProperty("detail").GetString());

        var (missing, _) = HttpRequests.Read(
            await Api.DescribeAsync(HttpRequests.Get("/api/directions/okapi", "?count=3"), "okapi", default)
        );
        Assert.Equal(404, missing);
    }
}
