using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

public sealed record CaptionResult(string Caption, string Source, double Seconds);

/// <summary>BLIP's caption of the prepared image, at its processing size (DESIGN.md §1.2 step 2).</summary>
public sealed class CaptionActivity(PipelineBlobs blobs, ModelHost model, IHostApplicationLifetime lifetime)
    : PipelineActivity<BlobRef, CaptionResult>,
        IGpuStage<BlobRef, CaptionResult>
{
    protected override Task<CaptionResult> RunActivityAsync(TaskActivityContext context, BlobRef image) =>
        RunStageAsync(image, lifetime.ApplicationStopping);

    public async Task<CaptionResult> RunStageAsync(BlobRef image, CancellationToken cancellationToken)
    {
        var bytes = await blobs.ReadAsync(image, cancellationToken);
        using var slot = await model.EnterAsync(cancellationToken);
        var clock = Stopwatch.StartNew();
        using var decoded = ImageCodec.Load(bytes, image.ToString());
        return new CaptionResult(
            model.Pipeline.Caption(decoded, cancellationToken, ImageCodec.SizeOf(decoded)),
            EditProvenance.BlipCaption,
            clock.Elapsed.TotalSeconds
        );
    }
}
