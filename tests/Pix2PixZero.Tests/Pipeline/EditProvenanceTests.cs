using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>
/// A record's provenance is made in one place for the command line, the pipeline and the Functions app alike: the
/// model's part read from the bundle, the sizes as the request asked.
/// </summary>
public class EditProvenanceTests
{
    private static readonly PixelSize Original = new(300, 200);
    private static readonly PixelSize Processing = new(128, 64);

    [Fact]
    public void A_photos_pictures_are_the_processing_size_unless_resized_to_the_photos_own()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, new OnnxSessionFactory(ExecutionProvider.Cpu));

        var atProcessing = Photo(bundle, resized: false);
        var resized = Photo(bundle, resized: true);

        Assert.Equal(
            (Original, Processing, Processing),
            (atProcessing.Original, atProcessing.Processing, atProcessing.Result)
        );
        Assert.Equal((Original, Processing, Original), (resized.Original, resized.Processing, resized.Result));
        Assert.Equal(
            (false, "cat.png", (string?)null, bundle.Directory, bundle.SchedulerConfig.Describe()),
            (resized.Synthetic, resized.Input, resized.Prompt, resized.ModelDirectory, resized.Scheduler)
        );
    }

    [Fact]
    public void The_provider_is_the_bundles_unless_the_edit_ran_elsewhere()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, new OnnxSessionFactory(ExecutionProvider.Cpu));
        Assert.Equal("?", Photo(bundle, resized: false).Provider);

        _ = bundle.TextEncoder;

        Assert.Equal("Cpu", Photo(bundle, resized: false).Provider);
        Assert.Equal("Cuda", Photo(bundle, resized: false, provider: "Cuda").Provider);
    }

    [Fact]
    public void Synthetic_mode_has_the_prompt_as_its_caption_and_no_photo()
    {
        using var bundle = ModelBundle.Open(RepoPaths.TinySd, new OnnxSessionFactory(ExecutionProvider.Cpu));

        var provenance = EditProvenance.OfPrompt(bundle, "text_encoder:0123", "a cat", Processing, "8 built-in");
        var record = EditRecord.Create(provenance, "cat2dog", new MethodParameters(), new Dictionary<string, double>());

        Assert.Equal(
            (true, "a cat", "a cat", EditProvenance.PromptCaption, (PixelSize?)null, Processing),
            (
                provenance.Synthetic,
                provenance.Prompt,
                provenance.Caption,
                provenance.CaptionSource,
                provenance.Original,
                provenance.Result
            )
        );
        Assert.Equal(
            ("synthetic", "", MethodParameters.SyntheticCrossAttentionGuidance),
            (record.Mode, record.NegativePrompt, record.CrossAttentionGuidance)
        );
    }

    private static EditProvenance Photo(ModelBundle bundle, bool resized, string? provider = null) =>
        EditProvenance.OfPhoto(
            bundle,
            "text_encoder:0123",
            "cat.png",
            "a cat",
            EditProvenance.UserCaption,
            Original,
            Processing,
            resized,
            "8 built-in",
            provider
        );
}
