using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

public sealed record InvertInput(string RequestId, BlobRef Image, string Caption, MethodParameters Method);

public sealed record InvertResult(BlobRef Latent, double Seconds);

/// <summary>
/// Regularized DDIM inversion of the prepared image (DESIGN.md §1.2 step 4); z_T is stored as a blob.
/// </summary>
public sealed class InvertActivity(PipelineBlobs blobs, ModelHost model, IHostApplicationLifetime lifetime)
    : PipelineActivity<InvertInput, InvertResult>,
        IGpuStage<InvertInput, InvertResult>
{
    // In process, the activity watches for its request's end itself (a GPU worker does so for the stages it runs).
    protected override async Task<InvertResult> RunActivityAsync(TaskActivityContext context, InvertInput input)
    {
        await using var watch = CancelWatch.Start(blobs, input.RequestId, lifetime.ApplicationStopping);
        return await RunStageAsync(input, watch.Token);
    }

    public async Task<InvertResult> RunStageAsync(InvertInput input, CancellationToken cancellationToken)
    {
        var bytes = await blobs.ReadAsync(input.Image, cancellationToken);
        InvertedImage inverted;
        var clock = Stopwatch.StartNew();
        using (await model.EnterAsync(cancellationToken))
        {
            clock.Restart();
            using var image = ImageCodec.Load(bytes, input.Image.ToString());
            inverted = model.Pipeline.Invert(
                image,
                input.Caption,
                input.Method,
                new ProgressBlob(blobs, input.RequestId, cancellationToken).OnStepEnd,
                cancellationToken,
                ImageCodec.SizeOf(image)
            );
        }
        var latent = StorageLayout.InvertedLatent(input.RequestId);
        await blobs.WriteAsync(latent, inverted.ToBytes(), "application/octet-stream", cancellationToken);
        return new InvertResult(latent, clock.Elapsed.TotalSeconds);
    }
}
