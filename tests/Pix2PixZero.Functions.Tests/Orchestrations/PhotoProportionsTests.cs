using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// A 16:9 photo (a 512×288 crop of data/images/cat_1.png) edited by the service with the tiny dynamic bundle: the
/// result keeps its proportions, or comes back at its own pixel size when the request asks (an HTTP field, or the
/// same option as inbox metadata), and the manifest records the photo's size and the processing size.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class PhotoProportionsTests(AzuriteFixture azurite) : IAsyncLifetime
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["ModelDirectory"] = TinyModel.DynamicFolder,
    };
    private static readonly Dictionary<string, string> Fast = new() { ["steps"] = "3", ["sentences"] = "4" };

    private PipelineTestHost _host = null!;

    public async Task InitializeAsync() => _host = await PipelineTestHost.StartAsync(azurite.Storage, Settings);

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_uploaded_16_by_9_photo_is_processed_and_published_at_about_16_by_9()
    {
        var blob = await _host.UploadToInboxAsync("cat2dog/wide.png", WidePhoto(), Fast);
        var submission = await _host.SubmitAsync(blob);

        var manifest = await Results.AssertCompleteAsync(
            _host.Blobs,
            await _host.WaitAsync(submission.InstanceId),
            "cat2dog"
        );

        Assert.Equal((512, 288), (manifest.Input.Width, manifest.Input.Height));
        var result = Assert.Single(manifest.Results);
        Assert.Equal((512, 288, 128, 64, 128, 64), Sizes(result.Record));
        using var image = Image.Load(await _host.Blobs.ReadAsync(result.Image, CancellationToken.None));
        var aspect = (double)image.Width / image.Height;
        Assert.True(Math.Abs(aspect / (16.0 / 9) - 1) <= 0.15, $"{image.Width}×{image.Height} is not about 16:9");
        using var prepared = Image.Load(await _host.Blobs.ReadAsync(manifest.Input.Prepared, CancellationToken.None));
        Assert.Equal((128, 64), (prepared.Width, prepared.Height));
    }

    [Fact]
    public async Task An_http_request_with_original_size_gets_its_result_at_the_photos_own_pixel_size()
    {
        var api = _host.Services.GetRequiredService<EditsApi>();
        var fields = new Dictionary<string, string>(Fast) { ["tasks"] = "cat2dog", ["original_size"] = "true" };
        var submitted = HttpRequests.Read(
            await api.SubmitAsync(
                await HttpRequests.MultipartAsync("/api/edits", WidePhoto(), fields),
                _host.Client,
                default
            )
        );
        Assert.Equal(202, submitted.Status);
        var id = submitted.Body.GetProperty("id").GetString()!;

        var manifest = await Results.AssertCompleteAsync(_host.Blobs, await _host.WaitAsync(id), "cat2dog");

        Assert.Equal((512, 288, 128, 64, 512, 288), Sizes(Assert.Single(manifest.Results).Record));
        var png = Assert.IsType<FileStreamResult>(await api.ResultAsync(id, "cat2dog", default));
        using var image = await Image.LoadAsync(png.FileStream);
        Assert.Equal((512, 288), (image.Width, image.Height));
    }

    private static (int?, int?, int, int, int, int) Sizes(EditRecord record) =>
        (
            record.OriginalWidth,
            record.OriginalHeight,
            record.ProcessingWidth,
            record.ProcessingHeight,
            record.ResultWidth,
            record.ResultHeight
        );

    private static byte[] WidePhoto()
    {
        using var cat = Image.Load(TinyModel.Photo());
        cat.Mutate(x => x.Crop(new Rectangle(0, 112, 512, 288)));
        using var png = new MemoryStream();
        cat.SaveAsPng(png);
        return png.ToArray();
    }
}
