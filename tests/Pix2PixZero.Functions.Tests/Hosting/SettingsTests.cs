using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Hosting;

public sealed class SettingsTests
{
    [Theory]
    [InlineData("ModelDirectory", "", "Pix2PixZero__ModelDirectory")]
    [InlineData("ModelPull", "stable diffusion", "Pix2PixZero__ModelPull")]
    [InlineData("ModelConcurrency", "0", "use 1..16")]
    [InlineData("MaxRequestBytes", "10", "use 1 KiB..1 GiB")]
    [InlineData("ActivityAttempts", "0", "use 1..20")]
    [InlineData("GraphCache", " ", "name a writable folder")]
    [InlineData("SessionShapes", "0", "use 1..64 (default 1)")]
    [InlineData("GpuStageTimeout", "00:00:00", "use a duration from 00:00:01")]
    [InlineData("CudaDevice", "gpu1", "use a GPU index 0..255")]
    [InlineData("CudaMemoryLimit", "12GB", "use bytes, or a number with KiB, MiB or GiB (e.g. 12GiB)")]
    [InlineData("CudaConvAlgoSearch", "fastest", "use Exhaustive, Heuristic or Default (default Heuristic)")]
    [InlineData("CudaParity", "on", "use true (TF32 off, for comparing with the CPU) or false (default)")]
    public void A_setting_out_of_range_stops_the_start_naming_the_app_setting_and_its_range(
        string name,
        string value,
        string expected
    )
    {
        using var services = Services(
            new() { ["Pix2PixZero:ModelDirectory"] = "/models/sd", [$"Pix2PixZero:{name}"] = value }
        );

        var error = Assert.Throws<OptionsValidationException>(() =>
            services.GetRequiredService<IStartupValidator>().Validate()
        );

        Assert.Contains(AppSettings.SettingName(name), error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("WorkVisibility", "00:00:00", "use a duration from 00:00:01 to 01:00:00")]
    [InlineData("MaxDeliveries", "0", "use 1..100")]
    [InlineData("CancelPoll", "1.00:00:00", "use a duration from 00:00:00.1000000 to 00:05:00")]
    [InlineData("IdlePoll", "00:00:00", "use a duration from 00:00:00.1000000 to 00:01:00")]
    public void A_gpu_worker_setting_out_of_range_stops_the_worker_naming_the_app_setting_and_its_range(
        string name,
        string value,
        string expected
    )
    {
        using var services = new ServiceCollection()
            .AddGpuWorker(
                Config(new() { ["Pix2PixZero:ModelDirectory"] = "/models/sd", [$"Pix2PixZero:{name}"] = value })
            )
            .BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() =>
            services.GetRequiredService<IStartupValidator>().Validate()
        );

        Assert.Contains(AppSettings.SettingName(name), error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Valid_settings_start_and_defaults_fill_what_is_not_set()
    {
        using var services = Services(
            new() { ["Pix2PixZero:ModelDirectory"] = "/models/sd", ["Pix2PixZero:ModelConcurrency"] = "2" }
        );

        services.GetRequiredService<IStartupValidator>().Validate();

        var settings = services.GetRequiredService<AppSettings>();
        Assert.Equal(2, settings.ModelConcurrency);
        Assert.Equal(new AppSettings() with { ModelConcurrency = 2 }, settings);
        Assert.Equal("/models/sd", services.GetRequiredService<ModelProvisioningOptions>().ModelDirectory);
    }

    [Fact]
    public void The_cuda_settings_reach_the_provider_options_the_workers_sessions_use()
    {
        using var services = Services(
            new()
            {
                ["Pix2PixZero:ModelDirectory"] = "/models/sd",
                ["Pix2PixZero:CudaDevice"] = "2",
                ["Pix2PixZero:CudaMemoryLimit"] = "20GiB",
                ["Pix2PixZero:CudaConvAlgoSearch"] = "Exhaustive",
                ["Pix2PixZero:CudaParity"] = "true",
            }
        );

        services.GetRequiredService<IStartupValidator>().Validate();

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["arena_extend_strategy"] = "kSameAsRequested",
                ["cudnn_conv_algo_search"] = "EXHAUSTIVE",
                ["device_id"] = "2",
                ["gpu_mem_limit"] = (20L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["use_tf32"] = "0",
            },
            services.GetRequiredService<AppSettings>().Cuda.ProviderOptions()
        );
        Assert.Equal(new Core.Runtime.CudaOptions(), new AppSettings().Cuda);
    }

    [Fact]
    public void Model_settings_are_read_by_their_app_setting_names_with_the_hubs_own_fallbacks()
    {
        var values = new Dictionary<string, string?>
        {
            ["Pix2PixZero:ModelDirectory"] = "/mnt/models/sd14",
            ["Pix2PixZero:ModelPull"] = " sd14 ",
            ["Pix2PixZero:HubEndpoint"] = "",
            ["HF_ENDPOINT"] = "https://mirror.example",
            ["HF_TOKEN"] = "hf_from_env",
        };
        using (var services = Services(values))
        {
            var options = services.GetRequiredService<ModelProvisioningOptions>();
            Assert.Equal("/mnt/models/sd14", options.ModelDirectory);
            Assert.Equal(HubModelReference.Parse("sd14"), options.PullModel);
            Assert.Equal("https://mirror.example", options.Hub.Endpoint);
            Assert.Equal("hf_from_env", options.Hub.Token);
            Assert.Equal(ModelProvisioningOptions.DefaultLockWait, options.Hub.LockWait);
        }

        values["Pix2PixZero:HubToken"] = "hf_setting";
        values["Pix2PixZero:ModelPull"] = "";
        using (var services = Services(values))
        {
            var options = services.GetRequiredService<ModelProvisioningOptions>();
            Assert.Equal("hf_setting", options.Hub.Token);
            Assert.Null(options.PullModel);
        }
    }

    [Fact]
    public void The_storage_connection_is_a_connection_string_or_an_account_name_and_nothing_else()
    {
        var local = StorageConnection.CreateBlobService(
            Config(new() { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" })
        );
        Assert.Equal("devstoreaccount1", local.AccountName);

        var azure = StorageConnection.CreateBlobService(
            Config(
                new()
                {
                    ["AzureWebJobsStorage:accountName"] = "p2pzdata",
                    ["AzureWebJobsStorage:clientId"] = "00000000-0000-0000-0000-000000000001",
                }
            )
        );
        Assert.Equal(new Uri("https://p2pzdata.blob.core.windows.net"), azure.Uri);
        var queues = StorageConnection.CreateQueueService(
            Config(new() { ["AzureWebJobsStorage:accountName"] = "p2pzdata" })
        );
        Assert.Equal(new Uri("https://p2pzdata.queue.core.windows.net"), queues.Uri);

        var missing = Assert.Throws<InvalidOptionException>(() => StorageConnection.CreateBlobService(Config(new())));
        Assert.Contains("AzureWebJobsStorage__accountName", missing.Message);
    }

    private static ServiceProvider Services(Dictionary<string, string?> values) =>
        new ServiceCollection().AddPipelineServices(Config(values)).BuildServiceProvider();

    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
