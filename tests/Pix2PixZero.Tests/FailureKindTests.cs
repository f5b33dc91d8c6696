using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Scheduling;

namespace Pix2PixZero.Tests;

/// <summary>
/// Every failure says what it is, and what it is decides what the user sees: each row makes a real failure through
/// the code that raises it and runs it as a command does (<see cref="CommandLine.RunAsync"/>), which exits 2 when
/// running it again repeats it and 1 when it may pass (README, "Exit status").
/// </summary>
public sealed class FailureKindTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("p2pz-failures-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private Dictionary<string, Func<Task>> Failures =>
        new()
        {
            ["a task that names no edit"] = () => Task.FromResult(EditTask.Parse("cat")),
            ["a mirror that is no URL"] = () => Task.FromResult(new PullOptions { Endpoint = "mirror" }.Validate()),
            ["a file that is no image"] = () => Task.FromResult(ImageCodec.Load("not a photo"u8.ToArray(), "a.png")),
            ["a latent that is not finite"] = () =>
            {
                NonFiniteCheck.Values([0f, float.NaN], "invert", "step 1");
                return Task.CompletedTask;
            },
            ["an empty model folder"] = () => Task.FromResult(ModelBundle.Open(_root)),
            ["a private model without a token"] = () => PullAsync(hub => hub.RequiredToken = "hf_right"),
            ["a download that broke off"] = () => PullAsync(hub => hub.DropConnection("unet/weights.pb", 1000)),
        };

    [Theory]
    [InlineData("a task that names no edit", FailureKind.InvalidInput, CommandLine.UserError)]
    [InlineData("a mirror that is no URL", FailureKind.InvalidInput, CommandLine.UserError)]
    [InlineData("a file that is no image", FailureKind.InvalidInput, CommandLine.UserError)]
    [InlineData("a latent that is not finite", FailureKind.Permanent, CommandLine.UserError)]
    [InlineData("an empty model folder", FailureKind.Permanent, CommandLine.UserError)]
    [InlineData("a private model without a token", FailureKind.Permanent, CommandLine.UserError)]
    [InlineData("a download that broke off", FailureKind.Transient, CommandLine.Failed)]
    public async Task A_failure_carries_its_kind_and_the_command_exits_with_the_status_of_that_kind(
        string failure,
        FailureKind kind,
        int status
    )
    {
        var error = new StringWriter();
        Pix2PixZeroException? thrown = null;

        var exit = await CommandLine.RunAsync(
            async () =>
            {
                try
                {
                    await Failures[failure]();
                }
                catch (Pix2PixZeroException e)
                {
                    thrown = e;
                    throw;
                }
            },
            CancellationToken.None,
            error
        );

        Assert.NotNull(thrown);
        Assert.Equal((kind, status), (thrown.Kind, exit));
        Assert.Equal($"error: {thrown.Message}", error.ToString().Trim());
    }

    // The tiny bundle from a loopback hub, no retries, into a new folder each time.
    private async Task PullAsync(Action<LoopbackHub> fault)
    {
        using var hub = new LoopbackHub("tiny/sd-onnx", "onnx", LoopbackHub.ReadFolder(RepoPaths.TinySd));
        fault(hub);
        var options = new PullOptions
        {
            Endpoint = hub.Endpoint,
            Retries = 0,
            RetryDelay = TimeSpan.Zero,
            DiskReserveBytes = 0,
        };
        await new ModelPuller(options).PullAsync(
            HubModelReference.Parse($"{hub.Repository}@{hub.Revision}"),
            Path.Combine(_root, Path.GetRandomFileName())
        );
    }

    [Fact]
    public void A_latent_or_a_direction_made_with_another_model_is_invalid_input()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, new OnnxSessionFactory(ExecutionProvider.Cpu));
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        var options = new MethodParameters { Steps = 2 };
        var latent = new InvertedImage(
            new DenseTensor<float>([1, 4, 16, 16]),
            "a cat",
            2,
            InversionConvention.Aligned,
            0,
            "another/model"
        );
        WordMean Mean(string word) => new("another/model", EditWord.Parse(word), 1, 4, new float[4], 1, "set");
        var direction = EditDirection.Between(Mean("cat"), Mean("dog"));

        var fromLatent = Assert.Throws<InvalidInputException>(() => pipeline.Edit(latent, [direction], options));
        var fromDirection = Assert.Throws<InvalidInputException>(() =>
            pipeline.Generate("a cat", [direction], options)
        );

        Assert.Contains("invert the image again with this model", fromLatent.Message);
        Assert.Contains("recompute it", fromDirection.Message);
    }
}
