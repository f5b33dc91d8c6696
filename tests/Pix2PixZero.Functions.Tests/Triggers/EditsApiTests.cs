using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;
using SixLabors.ImageSharp;

namespace Pix2PixZero.Functions.Tests.Triggers;

[Collection(StorageCollection.Name)]
public sealed class EditsApiTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly Dictionary<string, string> Fast = new()
    {
        ["tasks"] = "cat2dog",
        ["steps"] = "4",
        ["sentences"] = "8",
        ["caption"] = "a cat",
    };
    private PipelineTestHost _host = null!;

    private EditsApi Api => _host.Services.GetRequiredService<EditsApi>();

    public async Task InitializeAsync() => _host = await PipelineTestHost.StartAsync(azurite.Storage);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task A_multipart_upload_is_accepted_with_a_status_url_that_ends_with_result_links_and_the_png()
    {
        var submitted = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), Fast),
                _host.Client,
                default
            )
        );
        Assert.Equal(202, submitted.Status);
        var id = submitted.Body.GetProperty("id").GetString()!;
        Assert.Equal($"http://localhost:7071/api/edits/{id}", submitted.Body.GetProperty("statusUri").GetString());

        await _host.WaitAsync(id);
        var status = HttpRequests.Read(
            await Api.StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, _host.Client, default)
        );
        Assert.Equal(200, status.Status);
        Assert.Equal("Completed", status.Body.GetProperty("status").GetString());
        Assert.Equal("complete", status.Body.GetProperty("stage").GetString());
        Assert.Equal(
            (5, 5),
            (status.Body.GetProperty("stageStep").GetInt32(), status.Body.GetProperty("stageSteps").GetInt32())
        );
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
        var body = new Dictionary<string, object>
        {
            ["blob"] = source.ToString(),
            ["tasks"] = new[] { "cat2dog" },
            ["steps"] = 4,
            ["sentences"] = 8,
            ["caption"] = "a cat",
        };

        var submitted = HttpRequests.Read(
            await Api.SubmitAsync(HttpRequests.Json("/api/edits", body), _host.Client, default)
        );

        Assert.Equal(202, submitted.Status);
        var manifest = await Results.AssertCompleteAsync(
            _host.Blobs,
            await _host.WaitAsync(submitted.Body.GetProperty("id").GetString()!),
            "cat2dog"
        );
        Assert.Equal(source, manifest.Input.Source);
    }

    [Fact]
    public async Task The_method_s_values_travel_from_the_http_fields_to_the_editor_unchanged()
    {
        var fields = new Dictionary<string, string>(Fast)
        {
            ["guidance"] = "7.5",
            ["xa"] = "0.3",
            ["multiplier"] = "-0.5",
            ["seed"] = "7",
            ["convention"] = "official",
        };
        var sent = new MethodParameters
        {
            Steps = 4,
            GuidanceScale = 7.5f,
            CrossAttentionGuidance = 0.3f,
            EditMultiplier = -0.5f,
            Seed = 7,
            Convention = InversionConvention.Official,
        };

        var submitted = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), fields),
                _host.Client,
                default
            )
        );
        var id = submitted.Body.GetProperty("id").GetString()!;
        var instance = await _host.WaitAsync(id);
        var manifest = await Results.AssertCompleteAsync(_host.Blobs, instance, "cat2dog");

        // The orchestration was given the values read at the edge, typed.
        Assert.Equal(sent, instance.ReadInputAs<EditRequest>()!.Settings!.Method);
        var record = Assert.Single(manifest.Results).Record;
        Assert.Equal(
            (4, 7.5f, 0.3f, -0.5f, 7UL, "Official"),
            (
                record.Steps,
                record.GuidanceScale,
                record.CrossAttentionGuidance,
                record.EditMultiplier,
                record.Seed,
                record.InversionConvention
            )
        );
        // The editor used them: the same prepared photo edited here with those values gives the published picture,
        // and with the defaults another one.
        var published = await _host.Blobs.ReadAsync(StorageLayout.Result(id, "cat2dog"), default);
        Assert.Equal(published, await EditDirectlyAsync(id, sent));
        Assert.NotEqual(published, await EditDirectlyAsync(id, new MethodParameters { Steps = 4 }));
    }

    /// <summary>The prepared photo of request <paramref name="id"/>, inverted and edited by the pipeline.</summary>
    private async Task<byte[]> EditDirectlyAsync(string id, MethodParameters parameters)
    {
        var model = _host.Model;
        using var photo = ImageCodec.Load(
            await _host.Blobs.ReadAsync(StorageLayout.PreparedImage(id), default),
            "the prepared photo"
        );
        using (await model.EnterAsync(default))
        {
            var directions = model.Pipeline.Directions(
                [EditTask.Parse("cat2dog")],
                new SentenceSource.BuiltIn(8),
                model.LocalDirections
            );
            var inverted = model.Pipeline.Invert(photo, "a cat", parameters, size: ImageCodec.SizeOf(photo));
            using var edited = model.Pipeline.Edit(inverted, directions, parameters)[0];
            return ImageCodec.EncodePng(edited);
        }
    }

    [Theory]
    [InlineData(
        "{\"blob\": \"work/x.png\", \"tasks\": \"cat2dog\", \"colour\": \"red\"}",
        "there is no option \"colour\"",
        "colour"
    )]
    [InlineData(
        "{\"blob\": \"work/x.png\", \"tasks\": \"cat2dog\", \"guidance\": 1}",
        "guidance = 1 is not accepted",
        "guidance"
    )]
    [InlineData("{\"blob\": \"work/x.png\", \"tasks\": \"cat\"}", "names no edit", null)]
    [InlineData(
        "{\"blob\": \"azure-webjobs-secrets/host.json\", \"tasks\": \"cat2dog\"}",
        "source images are read from",
        null
    )]
    [InlineData("{\"blob\": \"work/missing.png\", \"tasks\": \"cat2dog\"}", "does not exist", null)]
    [InlineData("[1, 2]", "must be a JSON object", null)]
    [InlineData("{not json", "not valid JSON", null)]
    public async Task A_bad_request_is_refused_at_once_with_problem_details_saying_what_was_wrong(
        string json,
        string detail,
        string? option
    )
    {
        await _host.Blobs.WriteAsync(new BlobRef(StorageLayout.Work, "x.png"), TinyModel.Photo(), "image/png", default);
        var request = HttpRequests.Create(
            "POST",
            "/api/edits",
            "",
            "application/json",
            System.Text.Encoding.UTF8.GetBytes(json)
        );

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
        var (status, body) = HttpRequests.Read(
            await Api.StatusAsync(HttpRequests.Get("/api/edits/nope"), "nope", _host.Client, default)
        );
        Assert.Equal((404, "there is no edit request \"nope\""), (status, body.GetProperty("detail").GetString()));

        var (resultStatus, _) = HttpRequests.Read(await Api.ResultAsync("nope", "cat2dog", default));
        Assert.Equal(404, resultStatus);
    }

    [Theory]
    [InlineData("edit-requests/../directions/secret.png", "\"..\" path segment")]
    [InlineData("work/../directions/secret.png", "\"..\" path segment")]
    [InlineData("work/x.png/..", "\"..\" path segment")]
    [InlineData("work/./x.png", "\"..\" path segment")]
    [InlineData("work//x.png", "empty")]
    [InlineData("work/a\\b.png", "backslash")]
    [InlineData("work/x\u0001.png", "control character")]
    [InlineData("work/x.png.", "ends with a dot")]
    [InlineData("Work/x.png", "not a container name")]
    public async Task A_blob_name_that_could_lead_elsewhere_is_refused_with_400_before_any_storage_call(
        string blob,
        string reason
    )
    {
        await _host.Blobs.WriteAsync(
            new BlobRef(StorageLayout.Directions, "secret.png"),
            TinyModel.Photo(),
            "image/png",
            default
        );
        await _host.Blobs.WriteAsync(new BlobRef(StorageLayout.Work, "x.png"), TinyModel.Photo(), "image/png", default);
        var body = new Dictionary<string, object>
        {
            ["blob"] = blob,
            ["tasks"] = "cat2dog",
            ["steps"] = 2,
            ["caption"] = "a cat",
        };

        var (status, problem) = HttpRequests.Read(
            await Api.SubmitAsync(HttpRequests.Json("/api/edits", body), _host.Client, default)
        );

        Assert.Equal(400, status);
        Assert.Contains(reason, problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("x y")]
    public async Task A_request_id_that_is_no_id_is_a_404_for_status_and_results(string id)
    {
        var (status, _) = HttpRequests.Read(
            await Api.StatusAsync(HttpRequests.Get($"/api/edits/{id}"), id, _host.Client, default)
        );
        var (result, _) = HttpRequests.Read(await Api.ResultAsync(id, "cat2dog", default));

        Assert.Equal((404, 404), (status, result));
    }

    [Fact]
    public async Task An_upload_that_is_not_an_image_is_refused_with_400_before_it_is_stored()
    {
        var (status, problem) = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", "these are not pixels"u8.ToArray(), Fast),
                _host.Client,
                default
            )
        );
        var truncated = TinyModel.Photo()[..5000];
        var (cut, cutProblem) = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", truncated, Fast),
                _host.Client,
                default
            )
        );

        Assert.Equal((400, 400), (status, cut));
        Assert.Contains("is not a PNG, JPEG or WebP image", problem.GetProperty("detail").GetString());
        Assert.Contains("is a truncated PNG file", cutProblem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData("notes.png", "these are not pixels", "work/notes.png is not a PNG, JPEG or WebP image")]
    [InlineData("empty.png", "", "work/empty.png is empty (0 bytes)")]
    public async Task A_stored_blob_that_is_not_an_image_is_refused_with_400(string name, string content, string detail)
    {
        await _host.Blobs.WriteAsync(
            new BlobRef(StorageLayout.Work, name),
            System.Text.Encoding.ASCII.GetBytes(content),
            "image/png",
            default
        );
        var body = new Dictionary<string, object> { ["blob"] = $"work/{name}", ["tasks"] = "cat2dog" };

        var (status, problem) = HttpRequests.Read(
            await Api.SubmitAsync(HttpRequests.Json("/api/edits", body), _host.Client, default)
        );

        Assert.Equal(400, status);
        Assert.Contains(detail, problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task The_same_post_with_the_same_idempotency_key_returns_the_first_request_and_runs_once()
    {
        async Task<(int, string)> PostAsync()
        {
            var request = await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), Fast);
            request.Headers[EditsApi.IdempotencyHeader] = "client-retry-7f3a";
            var (status, body) = HttpRequests.Read(await Api.SubmitAsync(request, _host.Client, default));
            return (status, body.GetProperty("id").GetString()!);
        }

        var (first, id) = await PostAsync();
        var (second, again) = await PostAsync();

        Assert.Equal((202, 202), (first, second));
        Assert.Equal(id, again);
        await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(id), "cat2dog");
        var (third, late) = await PostAsync();
        Assert.Equal((202, id), (third, late));
        Assert.Single(await UploadsOfAsync(id));
    }

    [Theory]
    [InlineData("other options")]
    [InlineData("another image")]
    public async Task The_same_idempotency_key_with_another_body_is_refused_with_422_and_starts_nothing(string change)
    {
        async Task<(int Status, System.Text.Json.JsonElement Body)> PostAsync(byte[] photo, string steps)
        {
            var request = await HttpRequests.MultipartAsync(
                "/api/edits",
                photo,
                new Dictionary<string, string>(Fast) { ["steps"] = steps }
            );
            request.Headers[EditsApi.IdempotencyHeader] = $"client-key-{change.Replace(' ', '-')}";
            return HttpRequests.Read(await Api.SubmitAsync(request, _host.Client, default));
        }

        var first = await PostAsync(TinyModel.Photo(), "4");
        var second =
            change == "other options"
                ? await PostAsync(TinyModel.Photo(), "5")
                : await PostAsync(TinyModel.Photo("cat_3.png"), "4");
        var again = await PostAsync(TinyModel.Photo(), "4");

        Assert.Equal(202, first.Status);
        Assert.Equal(422, second.Status);
        Assert.Equal(EditsApi.IdempotencyHeader, second.Body.GetProperty("option").GetString());
        var id = first.Body.GetProperty("id").GetString()!;
        Assert.Contains(
            $"already names edit request \"{id}\", which was sent with another image or other options",
            second.Body.GetProperty("detail").GetString()
        );
        Assert.Equal((202, id), (again.Status, again.Body.GetProperty("id").GetString()));
        Assert.Single(await UploadsOfAsync(id));
        await _host.WaitAsync(id);
    }

    [Fact]
    public async Task A_task_in_the_source_colon_target_form_is_edited_and_its_result_served()
    {
        var body = new Dictionary<string, object>
        {
            ["blob"] = "work/r2d2.png",
            ["tasks"] = new[] { "r2d2:robot" },
            ["steps"] = 2,
            ["sentences"] = 4,
            ["caption"] = "a robot",
        };
        await _host.Blobs.WriteAsync(
            new BlobRef(StorageLayout.Work, "r2d2.png"),
            TinyModel.Photo(),
            "image/png",
            default
        );

        var (_, submitted) = HttpRequests.Read(
            await Api.SubmitAsync(HttpRequests.Json("/api/edits", body), _host.Client, default)
        );
        var id = submitted.GetProperty("id").GetString()!;

        await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(id), "r2d2:robot");
        Assert.IsType<FileStreamResult>(await Api.ResultAsync(id, "r2d2:robot", default));
    }

    [Fact]
    public async Task An_edit_can_use_a_sentence_set_posted_to_the_directions_api()
    {
        var directions = _host.Services.GetRequiredService<DirectionsApi>();
        string[] sentences = ["A cat on a sofa.", "The cat sleeps.", "A small cat in the garden."];
        var (_, posted) = HttpRequests.Read(
            await directions.ComputeAsync(
                HttpRequests.Json("/api/directions", new { word = "cat", sentences }),
                _host.Client,
                default
            )
        );
        var set = posted.GetProperty("sentenceSetHash").GetString()!;
        await _host.WaitAsync(posted.GetProperty("instanceId").GetString()!);

        var fields = new Dictionary<string, string>(Fast) { ["sets"] = $"cat={set}" };
        var (status, submitted) = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), fields),
                _host.Client,
                default
            )
        );

        Assert.Equal(202, status);
        var manifest = await Results.AssertCompleteAsync(
            _host.Blobs,
            await _host.WaitAsync(submitted.GetProperty("id").GetString()!),
            "cat2dog"
        );
        var cat = Assert.Single(manifest.Directions, d => d.Word == "cat");
        Assert.Equal((set, 3, false), (cat.SentenceSetHash, cat.SentenceCount, cat.Computed));
        Assert.Contains($"posted sets for cat ({set})", manifest.Results[0].Record.DirectionSentences);
    }

    [Fact]
    public async Task A_sentence_set_that_was_never_posted_fails_the_request_saying_to_post_it()
    {
        var fields = new Dictionary<string, string>(Fast) { ["sets"] = $"dog={new string('a', 64)}" };
        var (_, submitted) = HttpRequests.Read(
            await Api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", TinyModel.Photo(), fields),
                _host.Client,
                default
            )
        );

        var error = await Results.AssertFailedAsync(
            _host.Blobs,
            await _host.WaitAsync(submitted.GetProperty("id").GetString()!)
        );

        Assert.Equal((EditError.InvalidRequest, "prepare"), (error.Kind, error.Stage.Name));
        Assert.Contains("POST /api/directions", error.Message);
    }

    /// <summary>The uploads stored for request <paramref name="id"/>.</summary>
    private async Task<List<string>> UploadsOfAsync(string id)
    {
        var uploads = new List<string>();
        await foreach (
            var blob in _host
                .Blobs.Container(StorageLayout.Work)
                .GetBlobsAsync(new Azure.Storage.Blobs.Models.GetBlobsOptions { Prefix = $"{id}/upload/" })
        )
            uploads.Add(blob.Name);
        return uploads;
    }
}
