using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Pipeline;

public class NonFiniteCheckTests
{
    [Theory]
    [InlineData(float.NaN, "NaN (not a number)")]
    [InlineData(float.PositiveInfinity, "+∞")]
    [InlineData(float.NegativeInfinity, "−∞")]
    public void A_non_finite_value_fails_naming_the_stage_the_step_and_the_value(float value, string described)
    {
        var values = new float[10];
        values[7] = value;

        var error = Assert.Throws<NonFiniteValueException>(() =>
            NonFiniteCheck.Values(values, "edit", "step 3 (timestep 941)")
        );

        Assert.Equal("edit", error.Stage);
        Assert.StartsWith($"the edit step 3 (timestep 941) produced {described} (at element 7 of 10)", error.Message);
    }

    [Fact]
    public void An_inversion_with_nan_weights_stops_at_its_first_step()
    {
        using var bundle = ModelBundle.Open(
            RepoPaths.CopyOfTinySdWithNonFiniteUnet(),
            new OnnxSessionFactory(ExecutionProvider.Cpu)
        );
        using var pipeline = new Pix2PixZeroPipeline(bundle);
        using var image = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
        var steps = new List<PipelineStep>();

        var error = Assert.Throws<NonFiniteValueException>(() =>
            pipeline.Invert(image, "a cat", new MethodParameters { Steps = 5 }, steps.Add)
        );

        Assert.Equal("invert", error.Stage);
        Assert.Contains("invert step 1 (timestep 1)", error.Message);
        Assert.DoesNotContain(steps, s => s.Stage == EditStage.Invert);
    }
}
