using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;
using SixLabors.ImageSharp;

namespace Pix2PixZero.Functions.Tests.Triggers;

[Collection(StorageCollection.Name)]
public sealed class EditsApiTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Fast = new() { ["tasks"] = "cat2dog", ["steps"] = "4", ["sentences"] = "8", ["caption"] = "a cat" };
    private PipelineTestHost _host = null!;

    private EditsApi Api => _host.Services.GetRequiredService<EditsApi>();

    public async Task InitializeAsync() => _host = await PipelineTestHost.StartAsync(azurite.Storage);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_multipart_upload_is_accepted_with_a_status_url_that_ends_with_result_links_and_the_png()
    {
        var submitted = HttpRequests.Read(await Api.SubmitAsync(await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), Fast), _host.Client, default));
        Assert.Equal(202, submitted.Status);
        var id = submitted.Body.GetProperty("id").GetString()!;
        Assert.Equal($"http://localhost:7071/api/edits/{id}", submitted.Body.GetProperty("statusUri").GetString());

        await _host.WaitAsync(id);
        var status = HttpRequests.Read(await Api.StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, _host.Client, default));
        Assert.Equal(200, status.Status);
        Assert.Equal("Completed", status.Body.GetProperty("status").GetString());
        Assert.Equal("complete", status.Body.GetProperty("stage").GetString());
        var result = Assert.Single(status.Body.GetProperty("results").EnumerateArray());
        Assert.Equal($"http://localhost:7071/api/edits/{id}/results/cat2dog", result.GetProperty("uri").GetString());

        var png = Assert.IsType<FileStreamResult>(await Api.ResultAsync(id, "cat2dog", default));
        Assert.Equal("image/png", png.ContentType);
        using var image = await Image.LoadAsync(png.FileStream);
        Assert.Equal(128, image.Width);
    }

    [Fact]
    public async Task A_json_request_naming_a_stored_blob_is_edited_from_that_blob()
    {
        var source = new BlobRef(StorageLayout.Work, "http-sources/cat.png");
        await _host.Blobs.WriteAsync(source, TinyModel.Photo("cat_3.png"), "image/png", default);
        var body = new Dictionary<string, object> { ["blob"] = source.ToString(), ["tasks"] = new[] { "cat2dog" }, ["steps"] = 4, ["sentences"] = 8, ["caption"] = "a cat" };

        var submitted = HttpRequests.Read(await Api.SubmitAsync(HttpRequests.Json("/api/edits", body), _host.Client, default));

        Assert.Equal(202, submitted.Status);
        var manifest = await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(submitted.Body.GetProperty("id").GetString()!), "cat2dog");
        Assert.Equal(source, manifest.Input.Source);
    }

    [Theory]
    [InlineData("{\"blob\": \"work/x.png\", \"tasks\": \"cat2dog\", \"colour\": \"red\"}", "there is no option \"colour\"", "colour")]
    [InlineData("{\"blob\": \"work/x.png\", \"tasks\": \"cat2dog\", \"guidance\": 1}", "guidance scale = 1 is not accepted", "guidance scale")]
    [InlineData("{\"blob\": \"work/x.png\", \"tasks\": \"cat\"}", "names no edit", null)]
    [InlineData("{\"blob\": \"azure-webjobs-secrets/host.json\", \"tasks\": \"cat2dog\"}", "source images are read from", null)]
    [InlineData("{\"blob\": \"work/missing.png\", \"tasks\": \"cat2dog\"}", "does not exist", null)]
    [InlineData("[1, 2]", "must be a JSON object", null)]
    [InlineData("{not json", "not valid JSON", null)]
    public async Task A_bad_request_is_refused_at_once_with_problem_details_saying_what_was_wrong(string json, string detail, string? option)
    {
        await _host.Blobs.WriteAsync(new BlobRef(StorageLayout.Work, "x.png"), TinyModel.Photo(), "image/png", default);
        var request = HttpRequests.Create("POST", "/api/edits", "", "application/json", System.Text.Encoding.UTF8.GetBytes(json));

        var result = await Api.SubmitAsync(request, _host.Client, default);

        var problem = Assert.IsType<ProblemDetails>(Assert.IsType<ObjectResult>(result).Value);
        Assert.Equal(400, problem.Status);
        Assert.Contains(detail, problem.Detail);
        Assert.Equal(option, problem.Extensions.TryGetValue("option", out var named) ? named : null);
        Assert.Contains("application/problem+json", ((ObjectResult)result).ContentTypes);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_with_413_before_it_is_read()
    {
        var request = HttpRequests.Create("POST", "/api/edits", "", "application/json", "{}"u8.ToArray());
        request.ContentLength = 21L * 1024 * 1024;

        var (status, body) = HttpRequests.Read(await Api.SubmitAsync(request, _host.Client, default));

        Assert.Equal(413, status);
        Assert.Contains("MaxRequestBytes", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Unknown_requests_and_incomplete_results_are_404_problems()
    {
        var (status, body) = HttpRequests.Read(await Api.StatusAsync(HttpRequests.Get("/api/edits/nope"), "nope", _host.Client, default));
        Assert.Equal((404, "there is no edit request \"nope\""), (status, body.GetProperty("detail").GetString()));

        var (resultStatus, _) = HttpRequests.Read(await Api.ResultAsync("nope", "cat2dog", default));
        Assert.Equal(404, resultStatus);
    }
}
