using System.Security.Cryptography;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

public sealed record PublishInput(
    EditRequest Request,
    RequestSettings Settings,
    PreparedEdit Prepared,
    CaptionResult Caption,
    IReadOnlyList<WordMeanRef> Directions,
    IReadOnlyList<StagedResult> Results,
    string Provider,
    IReadOnlyDictionary<string, double> StageSeconds
);

/// <summary>
/// Copies the staged results (resized to the photo's own pixel size when the request asks) to
/// <c>edit-results/{id}/{task}.png</c> and then writes <c>manifest.json</c>: until the manifest exists nothing there
/// counts as complete, so a publish that fails half-way shows nothing finished; nor does one that a cancel overtook.
/// </summary>
public sealed class PublishActivity(PipelineBlobs blobs, ModelHost model, IHostApplicationLifetime lifetime)
    : PipelineActivity<PublishInput, EditManifest>
{
    protected override async Task<EditManifest> RunActivityAsync(TaskActivityContext context, PublishInput input)
    {
        var cancellationToken = lifetime.ApplicationStopping;
        await model.LoadAsync(cancellationToken);
        var request = input.Request;
        var settings = input.Settings;
        var prepared = input.Prepared;
        var original = new PixelSize(prepared.SourceWidth, prepared.SourceHeight);
        var provenance = EditProvenance.OfPhoto(
            model.Bundle,
            model.ModelId,
            request.Source.ToString(),
            input.Caption.Caption,
            input.Caption.Source,
            original,
            new PixelSize(prepared.ProcessingWidth, prepared.ProcessingHeight),
            settings.OriginalSize,
            settings.SentenceLabel,
            input.Provider
        );
        var results = new List<ManifestResult>();
        foreach (var staged in input.Results)
        {
            var bytes = await blobs.ReadAsync(staged.Image, cancellationToken);
            if (settings.OriginalSize)
                bytes = ResizedTo(bytes, original, staged.Image.ToString());
            var published = StorageLayout.Result(request.Id, staged.Task);
            await blobs.WriteAsync(published, bytes, "image/png", cancellationToken);
            var record = EditRecord.Create(provenance, staged.Task, settings.Method, input.StageSeconds);
            results.Add(
                new ManifestResult(staged.Task, published, Convert.ToHexStringLower(SHA256.HashData(bytes)), record)
            );
        }
        var manifest = new EditManifest(
            request.Id,
            request.SubmittedAt,
            DateTimeOffset.UtcNow,
            new ManifestInput(
                request.Source,
                request.SourceETag,
                prepared.SourceSha256,
                prepared.SourceWidth,
                prepared.SourceHeight,
                prepared.Image,
                request.Options
            ),
            input.Caption.Caption,
            input.Caption.Source,
            results,
            input.Directions,
            settings.Mode.ToString(),
            new ManifestModel(model.Bundle.Directory, model.ModelId, model.Hashes),
            input.Provider,
            input.StageSeconds
        );
        await blobs.WriteJsonAsync(StorageLayout.Manifest(request.Id), manifest, cancellationToken);
        // A cancel records error.json before it clears the folder; finding it now means the clearing may have missed
        // this manifest, so the request is withdrawn here (PipelineBlobs.RecordErrorAsync).
        if (await blobs.ExistsAsync(StorageLayout.Error(request.Id), cancellationToken))
        {
            await blobs.ClearResultsAsync(request.Id);
            throw new OperationCanceledException($"edit request {request.Id} was cancelled while it was published");
        }
        return manifest;
    }

    private static byte[] ResizedTo(byte[] png, PixelSize size, string name)
    {
        using var image = ImageCodec.Load(png, name);
        using var resized = ImageCodec.Resize(image, size);
        return ImageCodec.EncodePng(resized);
    }
}
