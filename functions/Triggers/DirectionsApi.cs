using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// The word-mean HTTP API. <c>POST /api/directions</c> with <c>{"word": "cat"}</c> (built-in sentences; <c>"count"</c>
/// sets how many) or <c>{"word": "cat", "sentences": ["a photo of a cat.", ...]}</c> computes and stores the mean
/// (202, or 200 when stored already). <c>GET /api/directions/{word}</c> (<c>?count=N</c> or <c>?set=HASH</c>) describes
/// a stored mean. <c>GET /api/directions</c> lists the ready-made edits (<see cref="BuiltInEdits"/>).
/// </summary>
public sealed class DirectionsApi(PipelineBlobs blobs, WordMeanBlobs means, ModelHost model, AppSettings settings)
{
    public async Task<IActionResult> ComputeAsync(
        HttpRequest request,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        if (request.ContentLength > settings.MaxRequestBytes)
            return Problems.TooLarge(request.ContentLength, settings.MaxRequestBytes);
        if (await ModelNotReadyAsync(cancellationToken) is { } unavailable)
            return unavailable;
        try
        {
            var body = await ReadBodyAsync(request, cancellationToken);
            var word = EditWord.Parse(body.Word);
            WordMeanRequest work;
            SentenceSet set;
            if (body.Sentences is { } given)
            {
                set = Sentences(given);
                var file = StorageLayout.Sentences(set.Hash);
                await blobs.WriteAsync(
                    file,
                    Encoding.UTF8.GetBytes(string.Join('\n', set.Sentences)),
                    "text/plain; charset=utf-8",
                    cancellationToken
                );
                work = new WordMeanRequest(word.Value, set.Sentences.Count, file);
            }
            else
            {
                var count = body.Count ?? SentenceGenerator.DefaultCount;
                set = new SentenceSource.BuiltIn(count).LoadSentences(word);
                work = new WordMeanRequest(word.Value, count);
            }

            var location =
                $"{request.Scheme}://{request.Host}{request.PathBase}"
                + $"{request.Path}/{Uri.EscapeDataString(word.Value)}?set={set.Hash}";
            if (await means.TryLoadAsync(word, set.Hash, cancellationToken) is { } stored)
                return new OkObjectResult(Describe(stored));
            var id = $"direction-{Guid.NewGuid():N}";
            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(DirectionOrchestrator),
                new DirectionRequest(work, ActivityRetry.For(settings), settings.Gpu),
                new StartOrchestrationOptions(id),
                cancellationToken
            );
            return new AcceptedResult(
                location,
                new
                {
                    word = word.Value,
                    sentenceSetHash = set.Hash,
                    sentenceCount = set.Sentences.Count,
                    instanceId = id,
                    statusUri = location,
                }
            );
        }
        catch (Pix2PixZeroException e)
        {
            return Problems.Of(e);
        }
    }

    public async Task<IActionResult> DescribeAsync(
        HttpRequest request,
        string word,
        CancellationToken cancellationToken
    )
    {
        if (await ModelNotReadyAsync(cancellationToken) is { } unavailable)
            return unavailable;
        try
        {
            var parsed = EditWord.Parse(word);
            var hash = request.Query["set"].ToString() is { Length: > 0 } set
                ? set
                : new SentenceSource.BuiltIn(ParseCount(request.Query["count"].ToString())).LoadSentences(parsed).Hash;
            return await means.TryLoadAsync(parsed, hash, cancellationToken) is { } mean
                ? new OkObjectResult(Describe(mean))
                : Problems.NotFound(
                    $"no mean of \"{parsed.Value}\" for sentence set {hash} is "
                        + $"stored for {model.ModelId}; POST /api/directions computes it"
                );
        }
        catch (Pix2PixZeroException e)
        {
            return Problems.Of(e);
        }
    }

    /// <summary>The ready-made edits and the built-in sentence count their means use by default.</summary>
    public IActionResult List() =>
        new OkObjectResult(
            new
            {
                edits = BuiltInEdits.Tasks.Select(t => new
                {
                    task = t.Name,
                    source = t.Source.Value,
                    target = t.Target.Value,
                }),
                sentenceCount = SentenceGenerator.DefaultCount,
            }
        );

    // Means are named by the model's id. A worker still pulling or loading its model answers at once rather than
    // holding the request for the length of a pull.
    private async Task<IActionResult?> ModelNotReadyAsync(CancellationToken cancellationToken)
    {
        if (model.IsLoaded)
            return null;
        try
        {
            await model.LoadAsync(cancellationToken).WaitAsync(ModelWait, cancellationToken);
            return null;
        }
        catch (TimeoutException)
        {
            return Problems.Unavailable(
                "this worker is still preparing its model (pulling or loading it); try again in a minute"
            );
        }
        catch (Pix2PixZeroException e)
        {
            return Problems.Of(e, $"this worker could not load its model: {e.Message}");
        }
    }

    private static readonly TimeSpan ModelWait = TimeSpan.FromSeconds(10);

    private object Describe(WordMean mean) =>
        new
        {
            word = mean.Word.Value,
            modelId = mean.ModelId,
            sentenceSetHash = mean.SentenceSetHash,
            sentenceCount = mean.SentenceCount,
            shape = new[] { mean.Rows, mean.Width },
            blob = means.BlobFor(mean.Word, mean.SentenceSetHash).ToString(),
        };

    private sealed record Body(string? Word, int? Count, string[]? Sentences);

    private static async Task<Body> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await JsonSerializer.DeserializeAsync<Body>(request.Body, PipelineBlobs.Json, cancellationToken)
                ?? throw new InvalidInputException("the request body is empty; send {\"word\": \"cat\"}");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException(
                $"the request body is not {{\"word\": string, \"count\"?: "
                    + $"number, \"sentences\"?: [string]}}: {e.Message}"
            );
        }
    }

    private static int ParseCount(string text) =>
        text.Length == 0 ? SentenceGenerator.DefaultCount
        : int.TryParse(text, out var count) ? count
        : throw new InvalidOptionException("count", text, $"use a whole number 1..{SentenceGenerator.MaxCount}");

    // Cleaned as SentenceSource.UserFile cleans a file, so the
    // stored file hashes to this set when the activity reads it.
    private static SentenceSet Sentences(string[] given)
    {
        var sentences = SentenceSource.UserFile.Clean(given).Select(s => s.Sentence).ToList();
        if (sentences.Count is 0 or > SentenceSource.UserFile.MaxSentences)
            throw new InvalidOptionException(
                "sentences",
                sentences.Count,
                $"give 1..{SentenceSource.UserFile.MaxSentences} "
                    + "non-empty sentences (about 1,000 make a good direction)"
            );
        if (
            sentences.FirstOrDefault(s =>
                s.Contains('\n') || s.Contains('\r') || s.Length > SentenceSource.UserFile.MaxSentenceLength
            ) is
            { } bad
        )
            throw new InvalidInputException(
                $"the sentence \"{bad[..Math.Min(bad.Length, 60)]}…\" spans several lines or has "
                    + $"over {SentenceSource.UserFile.MaxSentenceLength} characters; give one line each"
            );
        return new SentenceSet(sentences);
    }
}
