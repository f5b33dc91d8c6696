using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;
using Xunit.Abstractions;

namespace Pix2PixZero.Tests.Captioning;

/// <summary>
/// The C# captioner on what tools/export-captioner's export_captioner() wrote from the fixture's tiny BLIP modules
/// (tests/fixtures/blip-export/captioner, made by <c>/usr/bin/python3 tests/fixtures/blip-export/generate.py</c>):
/// it meets the folder contract and reproduces the PyTorch goldens of tests/fixtures/blip/goldens (its captions are
/// checked with the other bundles' in <see cref="BlipParityTests"/>).
/// </summary>
public sealed class ExportedCaptionerTests(ITestOutputHelper output) : IDisposable
{
    public static string Folder => BlipGoldens.Captioner("blip-export");

    private readonly BlipCaptioner _captioner = BlipCaptioner.Load(
        Folder,
        new OnnxSessionFactory(ExecutionProvider.Cpu)
    );

    public void Dispose() => _captioner.Dispose();

    [Fact]
    public void The_exported_folder_meets_the_captioner_contract_with_the_documented_signatures()
    {
        Assert.Empty(BlipCaptioner.CheckFolder(Folder));
        var vision = _captioner.VisionEncoder;
        Assert.Equal(["pixel_values"], vision.Inputs.Keys);
        Assert.Equal(["batch", "", "", ""], vision.Inputs["pixel_values"].SymbolicDimensions);
        Assert.Equal([-1, 3, 384, 384], vision.Inputs["pixel_values"].Dimensions);
        Assert.Equal([-1, 145, 32], vision.Outputs["image_embeds"].Dimensions);
        var decoder = _captioner.TextDecoder;
        Assert.Equal(["input_ids", "attention_mask", "encoder_hidden_states"], decoder.Inputs.Keys);
        Assert.Equal(["batch", "sequence", ""], decoder.Outputs["logits"].SymbolicDimensions);
        Assert.Equal(30524, decoder.Outputs["logits"].Dimensions[2]);
    }

    [Theory]
    [InlineData("cat")]
    [InlineData("dog")]
    public void Vision_embeddings_and_first_step_logits_match_torch(string photo)
    {
        using var resized = BlipGoldens.Resized(photo);
        var embeds = _captioner.VisionEncoder.Encode(
            BlipImageProcessor.Preprocess(resized, 384, _captioner.Config.ImageMean, _captioner.Config.ImageStd)
        );
        var embedsError = TensorAssert.Close(
            embeds.Buffer.Span,
            BlipGoldens.Read($"{photo}_image_embeds").Floats(),
            1e-4,
            "image_embeds"
        );
        var logits = _captioner.TextDecoder.Logits(
            _captioner.PromptIds.ToArray(),
            1,
            BlipGoldens.Read($"{photo}_image_embeds").Tensor()
        );
        var logitsError = TensorAssert.Close(
            logits.Buffer.Span,
            BlipGoldens.Read($"{photo}_first_logits").Floats(),
            1e-4,
            "first-step logits"
        );
        output.WriteLine($"{photo}: image_embeds max abs error {embedsError:E2}, logits {logitsError:E2}");
    }
}
