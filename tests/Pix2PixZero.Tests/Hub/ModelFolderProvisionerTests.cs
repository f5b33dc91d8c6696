using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Tests.Hub;

/// <summary>What a server calls on start: use the configured folder, or pull into it when a setting asks.</summary>
public sealed class ModelFolderProvisionerTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("p2pz-provision-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static PullOptions Hub(LoopbackHub hub) =>
        new()
        {
            Endpoint = hub.Endpoint,
            RetryDelay = TimeSpan.Zero,
            LockWait = TimeSpan.FromSeconds(60),
        };

    [Fact]
    public async Task A_folder_that_holds_a_bundle_is_used_without_touching_the_network()
    {
        // Nothing listens on port 9: a pull attempt would fail.
        var options = new ModelProvisioningOptions
        {
            ModelDirectory = RepoPaths.TinySd,
            Pull = "sd14",
            Hub = new PullOptions { Endpoint = "http://127.0.0.1:9" },
        };
        var model = await new ModelFolderProvisioner(options).EnsureAsync();
        Assert.Equal(RepoPaths.TinySd, model.Directory);
        Assert.Null(model.Pull);
    }

    [Fact]
    public async Task An_empty_folder_is_pulled_into_when_the_pull_setting_names_a_model()
    {
        using var hub = ModelPullerTests.TinySdHub();
        var folder = Path.Combine(_root, "share", "sd");
        var options = new ModelProvisioningOptions
        {
            ModelDirectory = folder,
            Pull = "tiny/sd-onnx@onnx",
            Hub = Hub(hub),
        };

        var model = await new ModelFolderProvisioner(options).EnsureAsync();

        Assert.NotNull(model.Pull);
        Assert.False(model.Pull.UpToDate);
        Assert.Empty(ModelBundleValidator.Validate(folder));
        var again = await new ModelFolderProvisioner(options).EnsureAsync();
        Assert.Null(again.Pull);
    }

    [Fact]
    public async Task Instances_starting_together_pull_once()
    {
        using var hub = ModelPullerTests.TinySdHub();
        var options = new ModelProvisioningOptions
        {
            ModelDirectory = Path.Combine(_root, "sd"),
            Pull = "tiny/sd-onnx@onnx",
            Hub = Hub(hub),
        };

        await Task.WhenAll(
            Enumerable.Range(0, 3).Select(_ => Task.Run(() => new ModelFolderProvisioner(options).EnsureAsync()))
        );

        Assert.Single(hub.Downloads("unet/weights.pb"), r => r.Server == "cdn");
        Assert.Empty(ModelBundleValidator.Validate(options.ModelDirectory));
    }

    [Fact]
    public async Task Without_a_bundle_or_a_pull_setting_the_error_names_the_setting_as_the_host_calls_it()
    {
        var options = new ModelProvisioningOptions
        {
            ModelDirectory = Path.Combine(_root, "missing"),
            Names = new("MODEL_DIR", "MODEL_PULL"),
        };
        var e = await Assert.ThrowsAsync<ModelBundleException>(() => new ModelFolderProvisioner(options).EnsureAsync());
        Assert.Contains("the model folder does not exist", e.Message);
        Assert.Contains("MODEL_PULL is not set", e.Message);
        Assert.Contains("pix2pix-zero models pull sd14 --dir", e.Message);
    }

    [Theory]
    [InlineData("", "sd14", "MODEL_DIR is not set")]
    [InlineData("/mnt/models", "stable diffusion", "MODEL_PULL = stable diffusion is not accepted")]
    public void Bad_options_are_named_as_the_host_calls_them(string directory, string pull, string expected)
    {
        var options = new ModelProvisioningOptions
        {
            ModelDirectory = directory,
            Pull = pull,
            Names = new("MODEL_DIR", "MODEL_PULL"),
        };
        var e = Assert.Throws<InvalidOptionException>(() => options.Validate());
        Assert.StartsWith(expected, e.Message);
    }
}
