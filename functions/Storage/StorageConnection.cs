using Azure.Core;
using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using Microsoft.Extensions.Configuration;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// The blob and queue services of the Functions host's own storage connection, <c>AzureWebJobsStorage</c>: a
/// connection string locally (Azurite), or identity-based in Azure (<c>AzureWebJobsStorage__accountName</c> or
/// <c>__blobServiceUri</c>/<c>__queueServiceUri</c>, with <c>__clientId</c> for a user-assigned identity, as
/// infra/modules/function-app.bicep and gpu-worker-app.bicep set them).
/// </summary>
public static class StorageConnection
{
    public const string Name = "AzureWebJobsStorage";

    public static BlobServiceClient CreateBlobService(IConfiguration configuration) =>
        configuration[Name] is { Length: > 0 } connectionString
            ? new BlobServiceClient(connectionString)
            : new BlobServiceClient(ServiceUri(configuration, "blob"), Credential(configuration));

    /// <summary>
    /// The queue service; messages are Base64 text, the encoding the Functions queue trigger reads by default.
    /// </summary>
    public static QueueServiceClient CreateQueueService(IConfiguration configuration)
    {
        var options = new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 };
        return configuration[Name] is { Length: > 0 } connectionString
            ? new QueueServiceClient(connectionString, options)
            : new QueueServiceClient(ServiceUri(configuration, "queue"), Credential(configuration), options);
    }

    private static Uri ServiceUri(IConfiguration configuration, string service)
    {
        var section = configuration.GetSection(Name);
        return section[$"{service}ServiceUri"] is { Length: > 0 } uri ? new Uri(uri)
            : section["accountName"] is { Length: > 0 } account
                ? new Uri($"https://{account}.{service}.core.windows.net")
            : throw new InvalidOptionException(
                Name,
                null,
                $"set {Name} to a connection string (\"UseDevelopmentStorage=true\" for "
                    + $"Azurite) or set {Name}__accountName for an identity-based connection"
            );
    }

    private static TokenCredential Credential(IConfiguration configuration) =>
        configuration.GetSection(Name)["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new DefaultAzureCredential();
}
