using System.Diagnostics;
using Microsoft.DurableTask;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// A word and its sentences: <see cref="Sentences"/> built-in ones, or the lines of <see cref="SentenceFile"/>.
/// </summary>
public sealed record WordMeanRequest(string Word, int Sentences, BlobRef? SentenceFile = null);

/// <summary>
/// Makes sure the directions container holds a word's mean embedding (DESIGN.md §1.3), computing it at most once:
/// workers that need the same mean at the same time queue on a blob lease, and all but the first find it stored.
/// </summary>
public sealed class WordMeanActivity(
    PipelineBlobs blobs,
    WordMeanBlobs means,
    ModelHost model,
    IHostApplicationLifetime lifetime
) : PipelineActivity<WordMeanRequest, WordMeanRef>, IGpuStage<WordMeanRequest, WordMeanRef>
{
    protected override Task<WordMeanRef> RunActivityAsync(TaskActivityContext context, WordMeanRequest request) =>
        RunStageAsync(request, lifetime.ApplicationStopping);

    public async Task<WordMeanRef> RunStageAsync(WordMeanRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var word = EditWord.Parse(request.Word);
        var source = request.SentenceFile is { } file
            ? new SentenceSource.UserFile(await DownloadAsync(file, cancellationToken))
            : (SentenceSource)new SentenceSource.BuiltIn(request.Sentences);
        var hash = source.LoadSentences(word).Hash;

        if (await means.TryLoadAsync(word, hash, cancellationToken) is { } stored)
            return Ref(stored, computed: false, clock);
        await using var lease = await BlobLease.AcquireAsync(
            means.LockFor(means.BlobFor(word, hash)),
            cancellationToken
        );
        if (await means.TryLoadAsync(word, hash, cancellationToken) is { } storedMeanwhile)
            return Ref(storedMeanwhile, computed: false, clock);
        using var slot = await model.EnterAsync(cancellationToken);
        var mean = model.Pipeline.WordMean(word.Value, source, model.LocalDirections, cancellationToken);
        await means.PublishAsync(mean, cancellationToken);
        return Ref(mean, computed: true, clock);
    }

    private WordMeanRef Ref(WordMean mean, bool computed, Stopwatch clock) =>
        new(
            mean.Word.Value,
            means.BlobFor(mean.Word, mean.SentenceSetHash),
            mean.SentenceSetHash,
            mean.SentenceCount,
            computed,
            clock.Elapsed.TotalSeconds
        );

    // Sentence files are named by their content's hash, so a local copy never goes stale.
    private async Task<string> DownloadAsync(BlobRef file, CancellationToken cancellationToken)
    {
        var local = Path.Combine(model.LocalDirections.RootDirectory, "sentences", Path.GetFileName(file.Name));
        if (!File.Exists(local))
            await blobs.DownloadToFileAsync(file, local, cancellationToken);
        return local;
    }
}
