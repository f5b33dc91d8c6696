using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Mvc;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// The edits HTTP API. <c>POST /api/edits</c>: a multipart upload (file part <c>image</c>, option fields) or JSON
/// (<c>{"blob": "container/name", "tasks": [...], "steps": 50, ...}</c>) → 202 with the status URL, once the names and
/// the image's header are known to be usable (400 otherwise); an <c>Idempotency-Key</c> header names the request.
/// <c>GET /api/edits/{id}</c>: status, stage, step progress, result links or the error.
/// <c>GET /api/edits/{id}/results/{task}</c>: the PNG, once the request is complete.
/// </summary>
public sealed class EditsApi(PipelineBlobs blobs, AppSettings settings)
{
    /// <summary>The request header that makes a retried POST return the request the first one started.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>How much of a stored source image is read to check its header before answering.</summary>
    public const int HeaderBytes = 1 << 20;

    public async Task<IActionResult> SubmitAsync(
        HttpRequest request,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        if (request.ContentLength > settings.MaxRequestBytes)
            return Problems.TooLarge(request.ContentLength, settings.MaxRequestBytes);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = settings.MaxRequestBytes;

        try
        {
            var id = RequestId(request);
            if (id.FromKey && await client.GetInstanceAsync(id.Value, cancellationToken) is not null)
                return Accepted(request, id.Value);
            var (source, etag, options) =
                request.HasFormContentType ? await FromUploadAsync(request, id.Value, cancellationToken)
                : request.HasJsonContentType() ? await FromJsonAsync(request, cancellationToken)
                : throw new InvalidInputException(
                    $"the content type \"{InputText.Shorten(request.ContentType)}\" is not accepted; "
                        + "send multipart/form-data with an image file part, or application/json naming a blob"
                );
            EditRequestParser.Parse(options);
            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(EditOrchestrator),
                new EditRequest(id.Value, source, etag, options, DateTimeOffset.UtcNow, settings.Retry, settings.Gpu),
                new StartOrchestrationOptions(id.Value),
                cancellationToken
            );
            return Accepted(request, id.Value);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // A retry with the same key raced the first request past the check above; the first one started it.
            return Accepted(request, RequestId(request).Value);
        }
        catch (Pix2PixZeroException e)
        {
            return Problems.Of(e);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Problems.TooLarge(null, settings.MaxRequestBytes);
        }
    }

    public async Task<IActionResult> StatusAsync(
        HttpRequest request,
        string id,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        if (!StorageLayout.IsRequestId(id))
            return NoRequest(id);
        var instance = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (instance is null || instance.Name != nameof(EditOrchestrator))
            return NoRequest(id);
        var stage = instance.ReadCustomStatusAs<EditStatus>();
        var running =
            instance.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending;
        var manifest =
            instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
                ? instance.ReadOutputAs<EditManifest>()
                : null;
        var self = request.GetEncodedUrl().Split('?')[0];
        return new OkObjectResult(
            new
            {
                id,
                status = instance.RuntimeStatus.ToString(),
                stage = stage?.Stage,
                stageStep = stage?.Step,
                stageSteps = stage?.Steps,
                progress = running ? await ProgressBlob.ReadAsync(blobs, id, cancellationToken) : null,
                createdAt = instance.CreatedAt,
                lastUpdatedAt = instance.LastUpdatedAt,
                results = manifest?.Results.Select(r => new
                {
                    task = r.Task,
                    uri = $"{self}/results/{r.Task}",
                    blob = r.Image.ToString(),
                    sha256 = r.Sha256,
                }),
                manifest = manifest is null ? null : StorageLayout.Manifest(id).ToString(),
                error = instance.RuntimeStatus == OrchestrationRuntimeStatus.Failed
                    ? await blobs.ReadJsonAsync<EditError>(StorageLayout.Error(id), cancellationToken)
                    : null,
            }
        );
    }

    public async Task<IActionResult> ResultAsync(string id, string task, CancellationToken cancellationToken)
    {
        if (!StorageLayout.IsRequestId(id))
            return NoRequest(id);
        string name;
        try
        {
            name = EditTask.Parse(task).Name;
        }
        catch (Pix2PixZeroException e)
        {
            return Problems.Of(e);
        }
        if (!await blobs.ExistsAsync(StorageLayout.Manifest(id), cancellationToken))
            return Problems.NotFound(
                $"edit request \"{id}\" has no complete results; GET /api/edits/{id} says where it is"
            );
        try
        {
            var download = await blobs
                .Client(StorageLayout.Result(id, name))
                .DownloadStreamingAsync(cancellationToken: cancellationToken);
            return new FileStreamResult(download.Value.Content, "image/png");
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return Problems.NotFound(
                $"edit request \"{id}\" has no result for the task \"{name}\"; its manifest lists the tasks it made"
            );
        }
    }

    private static string StatusUri(HttpRequest request, string id) =>
        UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, request.Path.Add($"/{id}"));

    private static AcceptedResult Accepted(HttpRequest request, string id)
    {
        var status = StatusUri(request, id);
        return new AcceptedResult(
            status,
            new
            {
                id,
                statusUri = status,
                resultsUri = $"{status}/results/{{task}}",
            }
        );
    }

    private static IActionResult NoRequest(string id) =>
        Problems.NotFound($"there is no edit request \"{InputText.Shorten(id)}\"");

    /// <summary>
    /// A new id, or the one an <c>Idempotency-Key</c> maps to: the same key always names the same request, so a client
    /// that retries a POST whose answer it lost gets the first request back instead of a second run.
    /// </summary>
    private static (string Value, bool FromKey) RequestId(HttpRequest request)
    {
        if (request.Headers[IdempotencyHeader].ToString() is not { Length: > 0 } key)
            return (Guid.NewGuid().ToString("N"), false);
        if (key.Length > MaxIdempotencyKeyLength || key.Any(c => c is < ' ' or > '~'))
            throw new InvalidOptionException(
                IdempotencyHeader,
                key,
                $"use 1..{MaxIdempotencyKeyLength} printable ASCII characters, e.g. a UUID"
            );
        return ("key-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..40], true);
    }

    private async Task<(BlobRef Source, string? ETag, Dictionary<string, string> Options)> FromUploadAsync(
        HttpRequest request,
        string id,
        CancellationToken cancellationToken
    )
    {
        var form = await request.ReadFormAsync(cancellationToken);
        var file = form.Files.GetFile("image")
            ?? throw new InvalidInputException(
                "the multipart request has no file part named \"image\"; attach the photo as image=@photo.png"
            );
        if (file.Length > settings.MaxRequestBytes)
            throw new InvalidInputException(
                $"the image is {file.Length:N0} bytes; the limit is {settings.MaxRequestBytes:N0} bytes"
            );
        using var content = new MemoryStream();
        await file.CopyToAsync(content, cancellationToken);
        var source = StorageLayout.Upload(id, UploadName(file.FileName));
        var bytes = content.ToArray();
        ImageCodec.ReadHeader(bytes, $"the uploaded image \"{InputText.Shorten(file.FileName)}\"");
        var etag = await blobs.WriteAsync(
            source,
            bytes,
            file.ContentType is { Length: > 0 } type ? type : "application/octet-stream",
            cancellationToken
        );
        var options = form.ToDictionary(
            f => f.Key,
            f => string.Join(",", f.Value.AsEnumerable()),
            StringComparer.OrdinalIgnoreCase
        );
        return (source, etag.ToString(), options);
    }

    private async Task<(BlobRef Source, string? ETag, Dictionary<string, string> Options)> FromJsonAsync(
        HttpRequest request,
        CancellationToken cancellationToken
    )
    {
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"the request body is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidInputException(
                    "the request body must be a JSON object such as {\"blob\": "
                        + "\"edit-requests/cat2dog/photo.png\", \"tasks\": [\"cat2dog\"]}"
                );
            var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            string? blob = null;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("blob"))
                    blob = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : null;
                else
                    options[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString()!,
                        JsonValueKind.Array => string.Join(
                            ",",
                            property
                                .Value.EnumerateArray()
                                .Select(v => v.ValueKind == JsonValueKind.String ? v.GetString() : v.GetRawText())
                        ),
                        _ => property.Value.GetRawText(),
                    };
            }
            var source = BlobRef.Parse(blob, "\"blob\"");
            if (!StorageLayout.SourceContainers.Contains(source.Container))
                throw new InvalidInputException(
                    $"\"blob\" names the container \"{source.Container}\"; source images "
                        + $"are read from {string.Join(", ", StorageLayout.SourceContainers)}"
                );
            try
            {
                var client = blobs.Client(source);
                var properties = (await client.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
                var start =
                    properties.ContentLength == 0
                        ? []
                        : (
                            await client.DownloadContentAsync(
                                new BlobDownloadOptions
                                {
                                    Range = new HttpRange(0, Math.Min(HeaderBytes, properties.ContentLength)),
                                    Conditions = new BlobRequestConditions { IfMatch = properties.ETag },
                                },
                                cancellationToken
                            )
                        ).Value.Content.ToArray();
                ImageCodec.ReadHeader(start, source.ToString(), length: properties.ContentLength);
                return (source, properties.ETag.ToString(), options);
            }
            catch (RequestFailedException e) when (e.Status == 404)
            {
                throw new InvalidInputException(
                    $"\"blob\" names {source}, which does not exist; upload the image first"
                );
            }
        }
    }

    // A client's file name becomes part of a blob name under work/{id}/upload/: kept short, free of path separators,
    // and refused when it would still name anything else (".." or a trailing dot).
    public static string UploadName(string? fileName)
    {
        var name = new string(
            Path.GetFileName(fileName ?? "")
                .Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_')
                .ToArray()
        );
        name = name.Length is > 0 and <= 100 ? name : "image";
        BlobRef.CheckName(name, "the uploaded file name");
        return name;
    }
}
