using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>One task of a request with the stored means of its source and target words.</summary>
public sealed record TaskDirections(string Task, WordMeanRef Source, WordMeanRef Target);

public sealed record EditInput(
    string RequestId,
    BlobRef Latent,
    IReadOnlyList<TaskDirections> Tasks,
    MethodParameters Method
);

public sealed record StagedResult(string Task, BlobRef Image);

public sealed record EditResult(IReadOnlyList<StagedResult> Results, string Provider, double Seconds);

/// <summary>
/// The reference and guided edit passes from a stored z_T (DESIGN.md §1.2 steps 5–7) for one or several tasks; the
/// tasks of one call share the reference pass. Results are staged under <c>work/</c> until the request is published.
/// </summary>
public sealed class EditActivity(
    PipelineBlobs blobs,
    WordMeanBlobs means,
    ModelHost model,
    IHostApplicationLifetime lifetime
) : PipelineActivity<EditInput, EditResult>, IGpuStage<EditInput, EditResult>
{
    // In process, the activity watches for its request's end itself (a GPU worker does so for the stages it runs).
    protected override async Task<EditResult> RunActivityAsync(TaskActivityContext context, EditInput input)
    {
        await using var watch = CancelWatch.Start(blobs, input.RequestId, lifetime.ApplicationStopping);
        return await RunStageAsync(input, watch.Token);
    }

    public async Task<EditResult> RunStageAsync(EditInput input, CancellationToken cancellationToken)
    {
        var inverted = InvertedImage.FromBytes(
            await blobs.ReadAsync(input.Latent, cancellationToken),
            input.Latent.ToString()
        );
        var directions = new List<EditDirection>();
        foreach (var task in input.Tasks)
            directions.Add(
                EditDirection.Between(
                    await LoadAsync(task.Source, cancellationToken),
                    await LoadAsync(task.Target, cancellationToken)
                )
            );

        IReadOnlyList<SixLabors.ImageSharp.Image<SixLabors.ImageSharp.PixelFormats.Rgb24>> images;
        var clock = Stopwatch.StartNew();
        using (await model.EnterAsync(cancellationToken))
        {
            clock.Restart();
            images = model.Pipeline.Edit(
                inverted,
                directions,
                input.Method,
                new ProgressBlob(blobs, input.RequestId, cancellationToken).OnStepEnd,
                cancellationToken
            );
        }
        var seconds = clock.Elapsed.TotalSeconds;

        var results = new List<StagedResult>();
        for (var i = 0; i < images.Count; i++)
        {
            using var image = images[i];
            var staged = StorageLayout.StagedResult(input.RequestId, input.Tasks[i].Task);
            await blobs.WriteAsync(staged, ImageCodec.EncodePng(image), "image/png", cancellationToken);
            results.Add(new StagedResult(input.Tasks[i].Task, staged));
        }
        return new EditResult(results, model.Provider, seconds);
    }

    // This request stored the mean before the edit began: one gone
    // since was deleted, and trying again cannot bring it back.
    private async Task<WordMean> LoadAsync(WordMeanRef mean, CancellationToken cancellationToken) =>
        await means.TryLoadAsync(EditWord.Parse(mean.Word), mean.SentenceSetHash, cancellationToken)
        ?? throw new Pix2PixZeroException(
            FailureKind.Permanent,
            $"the mean of \"{mean.Word}\" ({mean.Blob}) is missing from storage; submit the request again to compute it"
        );
}
