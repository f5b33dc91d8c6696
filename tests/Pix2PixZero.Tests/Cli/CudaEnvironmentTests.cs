using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Cli;

/// <summary>The command line's CUDA options, from <c>PIX2PIX_ZERO_CUDA_*</c> variables (README, GPU).</summary>
public sealed class CudaEnvironmentTests
{
    [Fact]
    public void Each_cuda_setting_has_its_variable()
    {
        Assert.Equal(
            [
                "PIX2PIX_ZERO_CUDA_DEVICE",
                "PIX2PIX_ZERO_CUDA_MEMORY_LIMIT",
                "PIX2PIX_ZERO_CUDA_CONV_ALGO_SEARCH",
                "PIX2PIX_ZERO_CUDA_PARITY",
            ],
            CudaOptions.Settings.Select(CudaEnvironment.VariableName)
        );
        var variables = new Dictionary<string, string>
        {
            ["PIX2PIX_ZERO_CUDA_DEVICE"] = "1",
            ["PIX2PIX_ZERO_CUDA_MEMORY_LIMIT"] = "8GiB",
            ["PIX2PIX_ZERO_CUDA_CONV_ALGO_SEARCH"] = "Default",
            ["PIX2PIX_ZERO_CUDA_PARITY"] = "true",
        };
        Assert.Equal(
            new CudaOptions
            {
                DeviceId = 1,
                MemoryLimit = 8L << 30,
                ConvAlgoSearch = CudnnConvAlgoSearch.Default,
                Parity = true,
            },
            CudaEnvironment.Read(variables.GetValueOrDefault)
        );
    }

    [Theory]
    [InlineData("edit")]
    [InlineData("models")]
    public async Task A_bad_cuda_variable_stops_the_command_before_a_model_loads_naming_the_variable(string command)
    {
        string[] args =
            command == "edit"
                ? ["edit", RepoPaths.Image("cat_1.png"), "-t", "cat2dog", "-m", RepoPaths.TinySd, "--steps", "2"]
                : ["models", "inspect", RepoPaths.TinySd];

        var (status, output, error) = await CliProcess.RunAsync(
            new Dictionary<string, string> { ["PIX2PIX_ZERO_CUDA_MEMORY_LIMIT"] = "lots" },
            60,
            args
        );

        Assert.True(status == CommandLine.UserError, $"status {status}:{Environment.NewLine}{error}");
        Assert.Equal(
            "error: PIX2PIX_ZERO_CUDA_MEMORY_LIMIT = lots is not accepted: use bytes, or a number with KiB, MiB or "
                + "GiB (e.g. 12GiB), of at least 64MiB (default: no limit)",
            error.Trim()
        );
        Assert.Empty(output);
    }
}
