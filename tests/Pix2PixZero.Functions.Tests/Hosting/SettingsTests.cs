using Microsoft.Extensions.Configuration;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Hosting;

public sealed class SettingsTests
{
    [Theory]
    [InlineData("ModelDirectory", "", "Pix2PixZero__ModelDirectory")]
    [InlineData("ModelConcurrency", "0", "use 1..16")]
    [InlineData("MaxRequestBytes", "10", "use 1 KiB..1 GiB")]
    [InlineData("ActivityAttempts", "0", "use 1..20")]
    public void A_setting_out_of_range_is_refused_naming_the_app_setting_and_its_range(string name, string value, string expected)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Pix2PixZero:ModelDirectory"] = "/models/sd",
            [$"Pix2PixZero:{name}"] = value,
        }).Build();

        var error = Assert.Throws<InvalidOptionException>(() => AppSettings.From(configuration));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_storage_connection_is_a_connection_string_or_an_account_name_and_nothing_else()
    {
        var local = StorageConnection.CreateBlobService(Config(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" }));
        Assert.Equal("devstoreaccount1", local.AccountName);

        var azure = StorageConnection.CreateBlobService(Config(new() { ["AzureWebJobsStorage:accountName"] = "p2pzdata", ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001" }));
        Assert.Equal(new Uri("https://p2pzdata.blob.core.windows.net"), azure.Uri);

        var missing = Assert.Throws<InvalidOptionException>(() => StorageConnection.CreateBlobService(Config(new())));
        Assert.Contains("AzureWebJobsStorage__accountName", missing.Message);
    }

    private static IConfiguration Config(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
