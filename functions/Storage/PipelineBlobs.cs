using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// The pipeline's blob reads and writes; the containers of <see cref="StorageLayout"/> are created on first use.
/// </summary>
public sealed class PipelineBlobs(BlobServiceClient service)
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    private volatile bool _containersExist;

    public BlobClient Client(BlobRef blob) => service.GetBlobContainerClient(blob.Container).GetBlobClient(blob.Name);

    public BlobContainerClient Container(string name) => service.GetBlobContainerClient(name);

    public async Task EnsureContainersAsync(CancellationToken cancellationToken = default)
    {
        if (_containersExist)
            return;
        // Racing callers both issue CreateIfNotExists, which is harmless; a failure is retried on the next call.
        foreach (var name in StorageLayout.Containers)
            await service.GetBlobContainerClient(name).CreateIfNotExistsAsync(cancellationToken: cancellationToken);
        _containersExist = true;
    }

    /// <summary>The blob's bytes, refusing one over <paramref name="maxBytes"/> before downloading it.</summary>
    public async Task<(byte[] Bytes, BlobProperties Properties)> ReadAsync(
        BlobRef blob,
        long maxBytes,
        ETag? version,
        string label,
        CancellationToken cancellationToken
    )
    {
        var client = Client(blob);
        var conditions = version is { } etag ? new BlobRequestConditions { IfMatch = etag } : null;
        BlobProperties properties;
        try
        {
            properties = (await client.GetPropertiesAsync(conditions, cancellationToken)).Value;
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidInputException($"{label} {blob} does not exist; upload it first");
        }
        catch (RequestFailedException e) when (e.Status == 412)
        {
            throw new InvalidInputException(
                $"{label} {blob} was replaced after the request was made "
                    + $"(ETag {version}); the new upload is a request of its own"
            );
        }
        if (properties.ContentLength > maxBytes)
            throw new InvalidInputException(
                $"{label} {blob} is {properties.ContentLength:N0} bytes; the limit is {maxBytes:N0} bytes"
            );
        var content = await client.DownloadContentAsync(
            new BlobDownloadOptions { Conditions = new BlobRequestConditions { IfMatch = properties.ETag } },
            cancellationToken
        );
        return (content.Value.Content.ToArray(), properties);
    }

    public async Task<byte[]> ReadAsync(BlobRef blob, CancellationToken cancellationToken) =>
        (await Client(blob).DownloadContentAsync(cancellationToken)).Value.Content.ToArray();

    /// <summary>
    /// Downloads to <paramref name="path"/> through a temporary file, so readers never see a partial copy.
    /// </summary>
    public async Task DownloadToFileAsync(BlobRef blob, string path, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temporary = $"{path}.{Guid.NewGuid():N}.download";
        try
        {
            await Client(blob).DownloadToAsync(temporary, cancellationToken);
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public async Task<T?> ReadJsonAsync<T>(BlobRef blob, CancellationToken cancellationToken)
    {
        try
        {
            var content = await Client(blob).DownloadContentAsync(cancellationToken);
            return JsonSerializer.Deserialize<T>(content.Value.Content.ToMemory().Span, Json);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return default;
        }
    }

    /// <summary>Writes (or replaces) the blob; returns the ETag of the new version.</summary>
    public async Task<ETag> WriteAsync(
        BlobRef blob,
        byte[] bytes,
        string contentType,
        CancellationToken cancellationToken
    )
    {
        await EnsureContainersAsync(cancellationToken);
        var written = await Client(blob)
            .UploadAsync(
                new BinaryData(bytes),
                new BlobUploadOptions { HttpHeaders = new BlobHttpHeaders { ContentType = contentType } },
                cancellationToken
            );
        return written.Value.ETag;
    }

    public Task WriteJsonAsync<T>(BlobRef blob, T value, CancellationToken cancellationToken) =>
        WriteAsync(blob, JsonSerializer.SerializeToUtf8Bytes(value, Json), "application/json", cancellationToken);

    public async Task<bool> ExistsAsync(BlobRef blob, CancellationToken cancellationToken) =>
        (await Client(blob).ExistsAsync(cancellationToken)).Value;

    /// <summary>
    /// Leaves <c>edit-results/{id}/</c> holding only <paramref name="error"/> as <c>error.json</c>: the record is
    /// written first and everything else there removed after, so a publish that races a cancel either finds the record
    /// (and withdraws, see <see cref="ClearResultsAsync"/>) or had its files listed and removed here.
    /// </summary>
    public async Task<BlobRef> RecordErrorAsync(EditError error)
    {
        var blob = StorageLayout.Error(error.Id);
        await WriteJsonAsync(blob, error, CancellationToken.None);
        await ClearResultsAsync(error.Id);
        return blob;
    }

    /// <summary>Removes everything under <c>edit-results/{id}/</c> but its <c>error.json</c>.</summary>
    public async Task ClearResultsAsync(string id)
    {
        await EnsureContainersAsync();
        var client = Container(StorageLayout.Results);
        var record = StorageLayout.Error(id).Name;
        await foreach (
            var item in client.GetBlobsAsync(new GetBlobsOptions { Prefix = StorageLayout.ResultPrefix(id) })
        )
            if (item.Name != record)
                await client.DeleteBlobIfExistsAsync(item.Name);
    }
}
