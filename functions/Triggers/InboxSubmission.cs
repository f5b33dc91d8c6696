using System.Security.Cryptography;
using System.Text;
using Azure.Storage.Blobs;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>
/// Whether a blob event started an edit; <see cref="InstanceId"/> is the request id either way, empty when the blob's
/// name was <see cref="Refused"/> (then nothing was read or started).
/// </summary>
public sealed record Submission(string InstanceId, bool Started, string? Refused = null);

/// <summary>
/// Turns an image in <c>edit-requests/{task}/{name}</c> into one edit orchestration: the folder names the first task,
/// blob metadata gives the other options, read here (<see cref="EditRequestParser"/>); options it refuses start a
/// request that fails at once with the reason in its <c>error.json</c>, as no client waits here. The instance id is a
/// hash of container, name and ETag, so a repeated event for the same blob version starts nothing, and a re-upload is
/// a new request.
/// </summary>
public sealed class InboxSubmission(AppSettings settings, ILogger<InboxSubmission> log)
{
    public static string InstanceIdFor(string container, string name, string etag) =>
        "blob-"
        + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{container}/{name}\n{etag}")))[..40];

    public async Task<Submission> SubmitAsync(
        BlobClient blob,
        DurableTaskClient client,
        CancellationToken cancellationToken
    )
    {
        try
        {
            BlobRef.CheckName(blob.Name, "the inbox blob");
        }
        catch (InvalidInputException e)
        {
            log.LogWarning(
                "Ignored {Container}/{Blob}: {Problem}",
                blob.BlobContainerName,
                InputText.Shorten(blob.Name),
                e.Message
            );
            return new Submission("", Started: false, e.Message);
        }
        var properties = (await blob.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
        var etag = properties.ETag.ToString();
        var id = InstanceIdFor(blob.BlobContainerName, blob.Name, etag);
        if (await client.GetInstanceAsync(id, cancellationToken) is not null)
            return Duplicate(id, blob);

        var options = new Dictionary<string, string>(properties.Metadata, StringComparer.OrdinalIgnoreCase);
        var slash = blob.Name.IndexOf('/');
        if (slash > 0)
            options["tasks"] = options.TryGetValue("tasks", out var more)
                ? $"{blob.Name[..slash]},{more}"
                : blob.Name[..slash];
        var (parsed, refused) = Read(options);
        var request = new EditRequest(
            id,
            new BlobRef(blob.BlobContainerName, blob.Name),
            etag,
            options,
            parsed,
            DateTimeOffset.UtcNow,
            ActivityRetry.For(settings),
            Gpu: settings.Gpu
        )
        {
            Refused = refused,
        };
        try
        {
            await client.ScheduleNewOrchestrationInstanceAsync(
                nameof(EditOrchestrator),
                request,
                new StartOrchestrationOptions(id),
                cancellationToken
            );
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.AlreadyExists)
        {
            // Two events for one blob version raced past the check above; the other one started the request.
            return Duplicate(id, blob);
        }
        log.LogInformation(
            "Started edit {Id} for {Container}/{Blob} (ETag {ETag})",
            id,
            blob.BlobContainerName,
            blob.Name,
            etag
        );
        return new Submission(id, Started: true);
    }

    // The settings the metadata gives, or why they were refused: no client waits here to be told, so the refusal
    // travels with the request, which then fails in its first stage with it.
    private static (RequestSettings? Settings, string? Refused) Read(IReadOnlyDictionary<string, string> options)
    {
        try
        {
            return (EditRequestParser.Parse(options), null);
        }
        catch (Pix2PixZeroException e) when (e.Kind == FailureKind.InvalidInput)
        {
            return (null, e.Message);
        }
    }

    private Submission Duplicate(string id, BlobClient blob)
    {
        log.LogInformation(
            "Edit {Id} for {Container}/{Blob} exists already; this event starts nothing",
            id,
            blob.BlobContainerName,
            blob.Name
        );
        return new Submission(id, Started: false);
    }
}
