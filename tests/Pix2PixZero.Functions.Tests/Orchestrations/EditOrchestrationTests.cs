using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// The edit orchestration end to end on the Durable Task in-process test host: real activities on the tiny model,
/// real blobs in Azurite, requests made the way users make them (an upload into the inbox).
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class EditOrchestrationTests(AzuriteFixture azurite) : IAsyncLifetime
{
    // Retries wait 15 s here, so a request that fails within that time did not retry.
    private static readonly Dictionary<string, string?> Settings = new() { ["FirstRetryInterval"] = "00:00:15" };
    private static readonly Dictionary<string, string> Fast = new() { ["steps"] = "4", ["sentences"] = "8" };

    private PipelineTestHost _host = null!;

    public async Task InitializeAsync() => _host = await PipelineTestHost.StartAsync(azurite.Storage, Settings);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_image_in_the_inbox_folder_of_one_task_is_captioned_edited_and_published_with_a_manifest()
    {
        var blob = await _host.UploadToInboxAsync("cat2dog/single.png", TinyModel.Photo(), Fast);
        var submission = await _host.SubmitAsync(blob);
        Assert.True(submission.Started);

        var manifest = await Results.AssertCompleteAsync(
            _host.Blobs,
            await _host.WaitAsync(submission.InstanceId),
            "cat2dog"
        );

        Assert.Equal(EditProvenance.BlipCaption, manifest.CaptionSource);
        Assert.False(string.IsNullOrWhiteSpace(manifest.Caption));
        Assert.Equal(new BlobRef(StorageLayout.Requests, "cat2dog/single.png"), manifest.Input.Source);
        Assert.Equal((512, 512), (manifest.Input.Width, manifest.Input.Height));
        var record = Assert.Single(manifest.Results).Record;
        Assert.Equal(
            (512, 512, 128, 128, 128, 128),
            (
                record.OriginalWidth,
                record.OriginalHeight,
                record.ProcessingWidth,
                record.ProcessingHeight,
                record.ResultWidth,
                record.ResultHeight
            )
        );
        Assert.Equal((4, 5f, 0.1f), (record.Steps, record.GuidanceScale, record.CrossAttentionGuidance));
        Assert.Equal(manifest.Caption, record.NegativePrompt);
        Assert.Equal(_host.Model.ModelId, manifest.Model.Id);
        Assert.Contains("unet/model.onnx", manifest.Model.Hashes.Keys);
        Assert.Equal("Cpu", manifest.Provider);
        Assert.Equal(["cat", "dog"], manifest.Directions.Select(d => d.Word).Order());
        Assert.All(["prepare", "caption", "directions", "invert", "edit", "wall"], stage =>
            Assert.True(manifest.StageSeconds[stage] >= 0)
        );
        var status = (
            await _host.Client.GetInstanceAsync(submission.InstanceId, getInputsAndOutputs: true)
        )!.ReadCustomStatusAs<EditStatus>();
        Assert.Equal(EditStatus.At(EditStage.Complete), status);
    }

    [Theory]
    [InlineData("fanout")]
    [InlineData("batched")]
    public async Task Several_tasks_from_folder_and_metadata_each_get_a_result(string mode)
    {
        var options = new Dictionary<string, string>(Fast)
        {
            ["tasks"] = "dog2cat, cat2horse",
            ["caption"] = "a photo of a cat",
            ["mode"] = mode,
            ["seed"] = "7",
        };
        var blob = await _host.UploadToInboxAsync($"cat2dog/several-{mode}.png", TinyModel.Photo("cat_2.png"), options);
        var submission = await _host.SubmitAsync(blob);

        var manifest = await Results.AssertCompleteAsync(
            _host.Blobs,
            await _host.WaitAsync(submission.InstanceId),
            "cat2dog",
            "dog2cat",
            "cat2horse"
        );

        Assert.Equal(("a photo of a cat", EditProvenance.UserCaption), (manifest.Caption, manifest.CaptionSource));
        Assert.Equal(mode == "fanout" ? "FanOut" : "Batched", manifest.Mode);
        Assert.All(manifest.Results, r => Assert.Equal(7UL, r.Record.Seed));
        Assert.Equal(["cat", "dog", "horse"], manifest.Directions.Select(d => d.Word).Order());
        Assert.Equal(3, manifest.Results.Select(r => r.Sha256).Distinct().Count());
    }

    [Fact]
    public async Task A_file_that_is_not_an_image_fails_at_once_with_an_error_naming_the_blob()
    {
        var blob = await _host.UploadToInboxAsync("cat2dog/notes.png", "these are not pixels"u8.ToArray(), Fast);
        var started = DateTime.UtcNow;
        var submission = await _host.SubmitAsync(blob);

        var error = await Results.AssertFailedAsync(_host.Blobs, await _host.WaitAsync(submission.InstanceId));

        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15), "bad input must not be retried");
        Assert.Equal((EditError.InvalidRequest, "prepare"), (error.Kind, error.Stage.Name));
        Assert.Contains("edit-requests/cat2dog/notes.png", error.Message);
        Assert.Contains("not a PNG, JPEG or WebP image", error.Message);
    }

    [Fact]
    public async Task An_unknown_option_fails_the_request_naming_the_option_and_the_accepted_ones()
    {
        var blob = await _host.UploadToInboxAsync(
            "cat2dog/colour.png",
            TinyModel.Photo(),
            new Dictionary<string, string>(Fast) { ["colour"] = "red" }
        );
        var submission = await _host.SubmitAsync(blob);

        var error = await Results.AssertFailedAsync(_host.Blobs, await _host.WaitAsync(submission.InstanceId));

        Assert.Equal(EditError.InvalidRequest, error.Kind);
        Assert.Contains("there is no option \"colour\"", error.Message);
        Assert.Contains("steps", error.Message);
    }

    [Fact]
    public async Task An_out_of_range_option_fails_the_request_with_the_accepted_range()
    {
        var blob = await _host.UploadToInboxAsync(
            "cat2dog/steps.png",
            TinyModel.Photo(),
            new Dictionary<string, string> { ["steps"] = "1" }
        );
        var submission = await _host.SubmitAsync(blob);

        var error = await Results.AssertFailedAsync(_host.Blobs, await _host.WaitAsync(submission.InstanceId));

        Assert.Contains("steps = 1 is not accepted: use 2..999", error.Message);
    }

    [Fact]
    public async Task A_second_event_for_the_same_blob_version_starts_nothing_and_a_new_upload_is_a_new_request()
    {
        var blob = await _host.UploadToInboxAsync(
            "cat2dog/twice.png",
            TinyModel.Photo(),
            new Dictionary<string, string>(Fast) { ["caption"] = "a cat" }
        );
        var first = await _host.SubmitAsync(blob);
        var second = await _host.SubmitAsync(blob);

        Assert.True(first.Started);
        Assert.False(second.Started);
        Assert.Equal(first.InstanceId, second.InstanceId);
        Assert.DoesNotContain('/', first.InstanceId);
        await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(first.InstanceId), "cat2dog");
        Assert.False((await _host.SubmitAsync(blob)).Started);

        var reupload = await _host.UploadToInboxAsync(
            "cat2dog/twice.png",
            TinyModel.Photo("cat_3.png"),
            new Dictionary<string, string>(Fast) { ["caption"] = "a cat" }
        );
        var third = await _host.SubmitAsync(reupload);
        Assert.True(third.Started);
        Assert.NotEqual(first.InstanceId, third.InstanceId);
        await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(third.InstanceId), "cat2dog");
    }

    [Theory]
    [InlineData("cat2dog//x.png", "path segment")]
    [InlineData("cat2dog/x\u0007.png", "control character")]
    [InlineData("cat2dog/x\\y.png", "backslash")]
    public async Task An_inbox_blob_with_a_name_the_api_would_refuse_starts_nothing_and_is_not_read(
        string name,
        string reason
    )
    {
        var blob = await _host.UploadToInboxAsync(name, TinyModel.Photo(), Fast);

        var submission = await _host.SubmitAsync(blob);

        Assert.False(submission.Started);
        Assert.Contains(reason, submission.Refused);
    }
}
