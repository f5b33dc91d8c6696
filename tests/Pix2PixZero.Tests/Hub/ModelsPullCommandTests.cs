using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Runtime;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Hub;

/// <summary>
/// <c>models pull</c>: downloads over the loopback hub, then compiles the guidance graphs and says what they hold.
/// </summary>
public sealed class ModelsPullCommandTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("p2pz-pull-cli-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public async Task Pull_compiles_the_guidance_graphs_and_a_second_pull_is_a_no_op()
    {
        using var hub = ModelPullerTests.TinySdHub();
        var target = Path.Combine(_root, "tiny");
        var model = HubModelReference.Parse($"{ModelPullerTests.Repository}@{ModelPullerTests.Revision}");
        var options = new PullOptions { Endpoint = hub.Endpoint, RetryDelay = TimeSpan.Zero };
        var progress = new StringWriter();

        var first = new StringWriter();
        await ModelsCommand.PullAsync(
            model,
            target,
            options,
            ExecutionProvider.Cpu,
            first,
            new ConsolePullProgress(progress),
            CancellationToken.None
        );
        output.WriteLine(first.ToString());
        output.WriteLine(progress.ToString());

        Assert.Contains($"Pulled tiny/sd-onnx@onnx (commit {hub.Commit}) into {target}", first.ToString());
        Assert.Contains("sizes and checksums verified", first.ToString());
        Assert.Contains("guidance graphs: 16 cross-attention layers in the static UNet, compiled in", first.ToString());
        Assert.Contains("5 × [16,256,77]", first.ToString());
        Assert.Contains("1 × [16,4,77]", first.ToString());
        Assert.Contains("captioner: BLIP", first.ToString());
        Assert.Contains($"next: pix2pix-zero edit <photo> --task cat2dog --model {target}", first.ToString());
        Assert.True(File.Exists(Path.Combine(target, "unet", GuidanceGraphCompiler.GuidanceFile)));
        Assert.Contains("unet/weights.pb", progress.ToString());
        Assert.Equal(
            BundleLayout.Select(hub.Paths).Files.Count,
            progress.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length
        );

        var second = new StringWriter();
        await ModelsCommand.PullAsync(
            model,
            target,
            options,
            ExecutionProvider.Cpu,
            second,
            null,
            CancellationToken.None
        );
        Assert.Contains("is up to date with tiny/sd-onnx@onnx", second.ToString());
        Assert.Contains("nothing downloaded", second.ToString());
        Assert.Contains("(compiled before, taken from the cache)", second.ToString());
    }

    [Fact]
    public async Task A_failed_pull_prints_one_error_line_and_returns_the_user_error_status()
    {
        using var hub = ModelPullerTests.TinySdHub();
        hub.RequiredToken = "hf_right";
        var error = new StringWriter();
        var options = new PullOptions { Endpoint = hub.Endpoint, RetryDelay = TimeSpan.Zero };

        var status = await CommandLine.RunAsync(
            () =>
                ModelsCommand.PullAsync(
                    HubModelReference.Parse("tiny/sd-onnx@onnx"),
                    Path.Combine(_root, "tiny"),
                    options,
                    ExecutionProvider.Cpu,
                    TextWriter.Null,
                    null,
                    CancellationToken.None
                ),
            CancellationToken.None,
            error
        );

        Assert.Equal(CommandLine.UserError, status);
        Assert.StartsWith(
            "error: listing the files of tiny/sd-onnx@onnx: 127.0.0.1 answered 401 Unauthorized",
            error.ToString()
        );
        Assert.Single(error.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }
}
