using Azure.Storage.Blobs;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Functions.Hosting;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// Word means in the <c>directions</c> container (<see cref="StorageLayout.WordMean"/>), in core's
/// <see cref="DirectionStore"/> file format, with the worker's local store as a read-through cache.
/// Names depend on the model's id: <see cref="BlobFor"/> needs the model loaded (<see cref="TryLoadAsync"/> loads it).
/// </summary>
public sealed class WordMeanBlobs(PipelineBlobs blobs, ModelHost model)
{
    private DirectionStore Local => model.LocalDirections;

    public BlobRef BlobFor(EditWord word, string sentenceSetHash) =>
        StorageLayout.WordMean(model.ModelId, word, sentenceSetHash);

    /// <summary>The lock blob that serialises computing one mean across workers.</summary>
    public BlobClient LockFor(BlobRef mean) => blobs.Client(StorageLayout.WordMeanLock(mean));

    /// <summary>The stored mean, or null when the container has none for this word and sentence set yet.</summary>
    public async Task<WordMean?> TryLoadAsync(
        EditWord word,
        string sentenceSetHash,
        CancellationToken cancellationToken
    )
    {
        await model.LoadAsync(cancellationToken);
        var blob = BlobFor(word, sentenceSetHash);
        var local = Local.PathFor(model.ModelId, word, sentenceSetHash);
        if (!await blobs.ExistsAsync(blob, cancellationToken))
            return null;
        if (!File.Exists(local))
            await blobs.DownloadToFileAsync(blob, local, cancellationToken);
        return DirectionStore.Read(local);
    }

    /// <summary>Uploads the mean that the local store holds for this word and sentence set.</summary>
    public async Task<BlobRef> PublishAsync(WordMean mean, CancellationToken cancellationToken)
    {
        var blob = BlobFor(mean.Word, mean.SentenceSetHash);
        var bytes = await File.ReadAllBytesAsync(
            Local.PathFor(mean.ModelId, mean.Word, mean.SentenceSetHash),
            cancellationToken
        );
        await blobs.WriteAsync(blob, bytes, "application/octet-stream", cancellationToken);
        return blob;
    }
}
