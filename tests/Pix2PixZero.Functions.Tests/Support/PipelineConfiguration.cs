using Microsoft.Extensions.Configuration;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>The app settings a test worker runs with: Azurite, the tiny model, its own direction cache.</summary>
public static class PipelineConfiguration
{
    public static IConfiguration For(Azurite storage, IDictionary<string, string?>? overrides = null)
    {
        var values = new Dictionary<string, string?>
        {
            [StorageConnection.Name] = storage.ConnectionString,
            [$"{AppSettings.Section}:ModelDirectory"] = TinyModel.Folder,
            [$"{AppSettings.Section}:DirectionCache"] = Directory.CreateTempSubdirectory("p2pz-directions-").FullName,
            [$"{AppSettings.Section}:FirstRetryInterval"] = "00:00:01",
        };
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
            values[$"{AppSettings.Section}:{key}"] = value;
        return new ConfigurationBuilder().AddInMemoryCollection(values).Build();
    }
}
