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
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Activities;
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
/// <c>POST /api/edits/{id}/cancel</c>: ends a pending or running request (202; 409 once it completed or failed).
/// </summary>
public sealed class EditsApi(PipelineBlobs blobs, AppSettings settings)
{
    /// <summary>The request header that makes a retried POST return the request the first one started.</summary>
    public const string IdempotencyHeader = "Idempotency-Key";

    public const int MaxIdempotencyKeyLength = 200;

    /// <summary>How much of a stored source image is read to check its header before answering.</summary>
    public const int HeaderBytes = 1 << 20;

    /// <summary>
    /// The status a cancelled request reports: its orchestration was terminated, which only a cancel does here.
    /// </summary>
    public const string CancelledStatus = "Cancelled";

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
            var submission =
                request.HasFormContentType ? await ReadUploadAsync(request, cancellationToken)
                : request.HasJsonContentType() ? await ReadJsonAsync(request, cancellationToken)
                : throw new InvalidInputException(
                    $"the content type \"{InputText.Shorten(request.ContentType)}\" is not accepted; "
                        + "send multipart/form-data with an image file part, or application/json naming a blob"
                );
            // Read once, here: the orchestration gets the typed settings, so a bad option is a 400 before anything is
            // stored, and no stage reads the text again.
            var plan = EditRequestParser.Parse(submission.Options);
            if (
                id.FromKey
                && await FirstRequestAsync(request, client, id.Value, submission, cancellationToken) is { } first
            )
                return first;
            var (source, etag) = submission.Upload is { } upload
                ? await StoreUploadAsync(id.Value, upload, cancellationToken)
                : await CheckSourceAsync(submission.Source!, cancellationToken);
            try
            {
                await client.ScheduleNewOrchestrationInstanceAsync(
                    nameof(EditOrchestrator),
                    new EditRequest(
                        id.Value,
                        source,
                        etag,
                        submission.Options,
                        plan,
                        DateTimeOffset.UtcNow,
                        ActivityRetry.For(settings),
                        submission.Fingerprint,
                        settings.Gpu
                    ),
                    new StartOrchestrationOptions(id.Value),
                    cancellationToken
                );
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
            {
                // A retry with the same key raced the first request past the check above; the first one started it.
                return await FirstRequestAsync(request, client, id.Value, submission, cancellationToken)
                    ?? Accepted(request, id.Value);
            }
            return Accepted(request, id.Value);
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
        if (await EditInstanceAsync(id, client, cancellationToken) is not { } instance)
            return NoRequest(id);
        var stage = instance.ReadCustomStatusAs<EditStatus>();
        var running =
            instance.RuntimeStatus is OrchestrationRuntimeStatus.Running or OrchestrationRuntimeStatus.Pending;
        var manifest =
            instance.RuntimeStatus == OrchestrationRuntimeStatus.Completed
                ? instance.ReadOutputAs<EditManifest>()
                : null;
        var self = request.GetEncodedUrl().Split('?')[0];
        var ended =
            instance.RuntimeStatus is OrchestrationRuntimeStatus.Failed or OrchestrationRuntimeStatus.Terminated;
        return new OkObjectResult(
            new
            {
                id,
                status = instance.RuntimeStatus == OrchestrationRuntimeStatus.Terminated
                    ? CancelledStatus
                    : instance.RuntimeStatus.ToString(),
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
                caption = manifest?.Caption,
                manifest = manifest is null ? null : StorageLayout.Manifest(id).ToString(),
                error = ended ? await blobs.ReadJsonAsync<EditError>(StorageLayout.Error(id), cancellationToken) : null,
            }
        );
    }

    /// <summary>
    /// Terminates the orchestration, then records <c>error.json</c> (kind <see cref="EditError.Cancelled"/>, at the
    /// stage the request had reached) and clears its result folder as a failure does; the activities still running see
    /// the record at their next look (<see cref="Activities.CancelWatch"/>) and stop at the pipeline's next step.
    /// Cancelling a cancelled request again answers as the first time.
    /// </summary>
    public async Task<IActionResult> CancelAsync(
        HttpRequest request,
        string id,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        if (await EditInstanceAsync(id, client, cancellationToken) is not { } instance)
            return NoRequest(id);
        if (instance.RuntimeStatus is OrchestrationRuntimeStatus.Completed or OrchestrationRuntimeStatus.Failed)
            return Problems.Of(
                StatusCodes.Status409Conflict,
                "The request has ended",
                $"edit request \"{id}\" is {instance.RuntimeStatus}: there is nothing left to cancel; "
                    + $"GET /api/edits/{id} gives its results or its error"
            );
        if (instance.RuntimeStatus != OrchestrationRuntimeStatus.Terminated)
        {
            var stage = instance.ReadCustomStatusAs<EditStatus>()?.Current ?? EditStage.Prepare;
            await client.TerminateInstanceAsync(id, new TerminateInstanceOptions(), cancellationToken);
            await blobs.RecordErrorAsync(
                new EditError(
                    id,
                    stage,
                    EditError.Cancelled,
                    $"cancelled by a user in the stage \"{stage.Name}\"; no result was published",
                    DateTimeOffset.UtcNow
                )
            );
        }
        return Accepted(request, id, new PathString(request.Path.Value![..request.Path.Value!.LastIndexOf('/')]));
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

    private static AcceptedResult Accepted(HttpRequest request, string id) =>
        Accepted(request, id, request.Path.Add($"/{id}"));

    private static AcceptedResult Accepted(HttpRequest request, string id, PathString statusPath)
    {
        var status = UriHelper.BuildAbsolute(request.Scheme, request.Host, request.PathBase, statusPath);
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

    /// <summary>The edit orchestration <paramref name="id"/> names, or null when there is none.</summary>
    private static async Task<OrchestrationMetadata?> EditInstanceAsync(
        string id,
        DurableTaskClient client,
        CancellationToken cancellationToken
    ) =>
        StorageLayout.IsRequestId(id)
        && await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken) is { } instance
        && instance.Name == nameof(EditOrchestrator)
            ? instance
            : null;

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

    /// <summary>
    /// What one POST asks for, read without storing anything: an uploaded image (or a stored blob's name) and the
    /// options, with a fingerprint of them that a retry with the same <c>Idempotency-Key</c> must match. Multipart
    /// bodies are compared by their parts, not their bytes: a client picks a new boundary for every attempt.
    /// </summary>
    private sealed record Submission(
        Upload? Upload,
        BlobRef? Source,
        Dictionary<string, string> Options,
        string Fingerprint
    );

    private sealed record Upload(string FileName, string ContentType, byte[] Bytes);

    private static string FingerprintOf(string what, IReadOnlyDictionary<string, string> options)
    {
        var text = new StringBuilder(what);
        foreach (var (name, value) in options.OrderBy(o => o.Key.ToLowerInvariant(), StringComparer.Ordinal))
            text.Append('\n').Append(name.ToLowerInvariant()).Append('=').Append(value);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    /// <summary>
    /// The answer for a key that named a request before: that request again when this one asks for the same thing,
    /// 422 when it asks for something else (payment APIs answer so: a key stands for one request); null when the key
    /// names no request yet.
    /// </summary>
    private static async Task<IActionResult?> FirstRequestAsync(
        HttpRequest request,
        DurableTaskClient client,
        string id,
        Submission submission,
        CancellationToken cancellationToken
    )
    {
        var first = await client.GetInstanceAsync(id, getInputsAndOutputs: true, cancellationToken);
        if (first is null)
            return null;
        if (
            first.ReadInputAs<EditRequest>()?.Fingerprint is not { } fingerprint
            || fingerprint == submission.Fingerprint
        )
            return Accepted(request, id);
        return Problems.Of(
            StatusCodes.Status422UnprocessableEntity,
            "The Idempotency-Key was used for another request",
            $"the {IdempotencyHeader} \"{InputText.Shorten(request.Headers[IdempotencyHeader].ToString())}\" "
                + $"already names edit request \"{id}\", which was sent with another image or other options; "
                + "send a new key for a new request, or this key with the first request's body to get that request",
            IdempotencyHeader
        );
    }

    private async Task<Submission> ReadUploadAsync(HttpRequest request, CancellationToken cancellationToken)
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
        var bytes = content.ToArray();
        var options = form.ToDictionary(
            f => f.Key,
            f => string.Join(",", f.Value.AsEnumerable()),
            StringComparer.OrdinalIgnoreCase
        );
        var upload = new Upload(
            file.FileName,
            file.ContentType is { Length: > 0 } type ? type : "application/octet-stream",
            bytes
        );
        var what = $"upload {Convert.ToHexStringLower(SHA256.HashData(bytes))} {file.FileName}";
        return new Submission(upload, null, options, FingerprintOf(what, options));
    }

    private async Task<(BlobRef Source, string? ETag)> StoreUploadAsync(
        string id,
        Upload upload,
        CancellationToken cancellationToken
    )
    {
        var source = StorageLayout.Upload(id, UploadName(upload.FileName));
        ImageCodec.ReadHeader(upload.Bytes, $"the uploaded image \"{InputText.Shorten(upload.FileName)}\"");
        var etag = await blobs.WriteAsync(source, upload.Bytes, upload.ContentType, cancellationToken);
        return (source, etag.ToString());
    }

    private static async Task<Submission> ReadJsonAsync(HttpRequest request, CancellationToken cancellationToken)
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
            return new Submission(null, source, options, FingerprintOf($"blob {source}", options));
        }
    }

    private async Task<(BlobRef Source, string? ETag)> CheckSourceAsync(
        BlobRef source,
        CancellationToken cancellationToken
    )
    {
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
            return (source, properties.ETag.ToString());
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            throw new InvalidInputException($"\"blob\" names {source}, which does not exist; upload the image first");
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
