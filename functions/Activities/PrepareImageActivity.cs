using System.Diagnostics;
using System.Security.Cryptography;
using Azure;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// What the prepare stage needs of a request: its source image and the settings read where it arrived.
/// </summary>
public sealed record PrepareInput(string Id, BlobRef Source, string? SourceETag, RequestSettings Settings);

/// <summary>The source image once it is known to be usable; <see cref="Image"/> is the normalised copy.</summary>
public sealed record PreparedEdit(BlobRef Image, string SourceSha256, int SourceWidth, int SourceHeight, double Seconds)
{
    /// <summary>The size the method runs at: the prepared image's (README, "Photo sizes").</summary>
    public int ProcessingWidth { get; init; }

    public int ProcessingHeight { get; init; }
}

/// <summary>
/// Checks that the sentence sets the request chose are stored, validates the source image (format, size, integrity;
/// EXIF orientation and alpha applied) and stores the image at its processing size (its proportions kept,
/// <see cref="Core.Bundles.ModelBundle.ProcessingSize"/>) as PNG, so later stages read one small, known-good file.
/// </summary>
public sealed class PrepareImageActivity(PipelineBlobs blobs, ModelHost model, IHostApplicationLifetime lifetime)
    : PipelineActivity<PrepareInput, PreparedEdit>
{
    protected override async Task<PreparedEdit> RunActivityAsync(TaskActivityContext context, PrepareInput input)
    {
        var clock = Stopwatch.StartNew();
        var cancellationToken = lifetime.ApplicationStopping;
        var settings = input.Settings;
        foreach (var (word, set) in settings.SentenceSets)
            if (!await blobs.ExistsAsync(StorageLayout.Sentences(set), cancellationToken))
                throw new InvalidInputException(
                    $"the sentence set {set} chosen for \"{word}\" is not "
                        + "stored; post it with the word to POST /api/directions first"
                );
        var version = input.SourceETag is { } etag ? new ETag(etag) : (ETag?)null;
        var (bytes, _) = await blobs.ReadAsync(
            input.Source,
            ImageLimits.Default.MaxBytes,
            version,
            "the source image",
            cancellationToken
        );
        using var image = ImageCodec.Load(bytes, input.Source.ToString());
        await model.LoadAsync(cancellationToken);
        var size = model.Bundle.ProcessingSize(ImageCodec.SizeOf(image), settings.Size);
        using var sized = ImageCodec.Resize(image, size);
        var prepared = StorageLayout.PreparedImage(input.Id);
        await blobs.WriteAsync(prepared, ImageCodec.EncodePng(sized), "image/png", cancellationToken);
        return new PreparedEdit(
            prepared,
            Convert.ToHexStringLower(SHA256.HashData(bytes)),
            image.Width,
            image.Height,
            clock.Elapsed.TotalSeconds
        )
        {
            ProcessingWidth = size.Width,
            ProcessingHeight = size.Height,
        };
    }
}
