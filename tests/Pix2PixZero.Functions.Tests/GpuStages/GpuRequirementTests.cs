using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Functions.Storage;
using Pix2PixZero.Functions.Tests.Support;

namespace Pix2PixZero.Functions.Tests.GpuStages;

/// <summary>
/// A GPU worker told to require the GPU (as the deployed GPU app is) on a machine where CUDA does not load — this
/// one: the tests run the CPU build of ONNX Runtime — does not start, and says why.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class GpuRequirementTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task A_worker_that_requires_the_gpu_refuses_to_start_without_cuda_and_takes_no_work()
    {
        var reads = new StorageTap("GET", $"/{StorageQueues.Work}/messages");
        using var host = GpuWorkerHost.Build(
            azurite.Storage,
            new Dictionary<string, string?> { ["RequireGpu"] = "true" },
            s => s.AddSingleton(StorageTap.Queues(azurite.Storage, reads))
        );

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        // A CPU-only build gives its own reason (no CUDA provider at all); a GPU build, CUDA's load error.
        Assert.StartsWith("Pix2PixZero__RequireGpu is true and ", error.Message);
        Assert.Contains("CUDA execution provider", error.Message);
        Assert.Contains("does not start rather than run the model on a GPU replica's CPU", error.Message);
        Assert.Equal(0, reads.Count);
    }
}
