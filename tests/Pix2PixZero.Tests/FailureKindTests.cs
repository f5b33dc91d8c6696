using Microsoft.ML.OnnxRuntime.Tensors;
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
/// Every failure says what it is: the retry policy, the HTTP answers and the exit codes read its kind.
/// </summary>
public sealed class FailureKindTests
{
    public static TheoryData<Pix2PixZeroException, FailureKind> Failures =>
        new()
        {
            { new InvalidInputException("the edit word is empty"), FailureKind.InvalidInput },
            { new InvalidOptionException("steps", 1, "use 2..999"), FailureKind.InvalidInput },
            { new ImageRejectedException("the file is not an image"), FailureKind.InvalidInput },
            { new NonFiniteValueException("invert", "the invert step 1 produced NaN"), FailureKind.Permanent },
            { new ModelBundleException("unet/model.onnx", "is empty"), FailureKind.Permanent },
            { new HubException("the connection broke", transient: true), FailureKind.Transient },
            { new HubException("the hub answered 401 Unauthorized", 401), FailureKind.Permanent },
        };

    [Theory]
    [MemberData(nameof(Failures))]
    public void Each_failure_carries_its_kind(Pix2PixZeroException failure, FailureKind kind) =>
        Assert.Equal(kind, failure.Kind);

    [Fact]
    public void A_hub_failure_is_transient_exactly_when_its_flag_says_so()
    {
        Assert.True(new HubException("stalled", transient: true).Transient);
        Assert.False(new HubException("not found", 404).Transient);
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
