using Azure.Identity;
using Azure.Storage.Blobs;
using Microsoft.Extensions.Configuration;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// The blob service of the Functions host's own storage connection, <c>AzureWebJobsStorage</c>: a connection string
/// locally (Azurite), or identity-based in Azure (<c>AzureWebJobsStorage__accountName</c> or <c>__blobServiceUri</c>,
/// with <c>__clientId</c> for a user-assigned identity, as infra/modules/function-app.bicep sets them).
/// </summary>
public static class StorageConnection
{
    public const string Name = "AzureWebJobsStorage";

    public static BlobServiceClient CreateBlobService(IConfiguration configuration)
    {
        if (configuration[Name] is { Length: > 0 } connectionString)
            return new BlobServiceClient(connectionString);
        var section = configuration.GetSection(Name);
        var serviceUri =
            section["blobServiceUri"] is { Length: > 0 } uri ? new Uri(uri)
            : section["accountName"] is { Length: > 0 } account ? new Uri($"https://{account}.blob.core.windows.net")
            : throw new InvalidOptionException(
                Name,
                null,
                $"set {Name} to a connection string (\"UseDevelopmentStorage=true\" for "
                    + $"Azurite) or set {Name}__accountName for an identity-based connection"
            );
        var credential = section["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : (Azure.Core.TokenCredential)new DefaultAzureCredential();
        return new BlobServiceClient(serviceUri, credential);
    }
}
