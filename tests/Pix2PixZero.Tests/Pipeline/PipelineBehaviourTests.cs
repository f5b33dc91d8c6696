using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>Three directions from 8 built-in sentences per word, on the tiny pipeline.</summary>
public sealed class TinyDirectionsFixture : IDisposable
{
    private readonly string _store = Directory.CreateTempSubdirectory("p2pz-directions-").FullName;

    public TinyDirectionsFixture()
    {
        Tiny = new TinyPipelineFixture();
        var store = new DirectionStore(_store);
        WordMean Mean(string word) => Tiny.Pipeline.WordMean(word, new SentenceSource.BuiltIn(8), store);
        var cat = Mean("cat");
        CatToDog = EditDirection.Between(cat, Mean("dog"));
        CatToHorse = EditDirection.Between(cat, Mean("horse"));
    }

    public TinyPipelineFixture Tiny { get; }

    /// <summary>Where the word means of 8 built-in sentences are stored.</summary>
    public DirectionStore Store => new(_store);

    public EditDirection CatToDog { get; }

    public EditDirection CatToHorse { get; }

    public void Dispose()
    {
        Tiny.Dispose();
        Directory.Delete(_store, recursive: true);
    }
}

/// <summary>
/// What a user relies on beyond parity: option checks, determinism, cancellation, progress, shared passes.
/// </summary>
public class PipelineBehaviourTests(TinyDirectionsFixture tiny) : IClassFixture<TinyDirectionsFixture>
{
    private const string Caption = "a cat sitting next to a mirror";
    private static readonly MethodParameters Short = new() { Steps = 3 };

    private Pix2PixZeroPipeline Pipeline => tiny.Tiny.Pipeline;

    private static Image<Rgb24> Photo() => ImageCodec.Load(RepoPaths.Image("cat_1.png"));

    public static TheoryData<MethodParameters, string, string> BadOptions() =>
        new()
        {
            {
                new MethodParameters { GuidanceScale = 1f },
                "GuidanceScale = 1",
                "silently do nothing"
            },
            {
                new MethodParameters { GuidanceScale = 0.5f },
                "GuidanceScale = 0.5",
                "above 1"
            },
            {
                new MethodParameters { GuidanceScale = float.NaN },
                "GuidanceScale = NaN",
                "above 1"
            },
            {
                new MethodParameters { Steps = 1 },
                "Steps = 1",
                "2..999"
            },
            {
                new MethodParameters { Steps = 1000 },
                "Steps = 1000",
                "2..999"
            },
            {
                new MethodParameters { CrossAttentionGuidance = -0.1f },
                "CrossAttentionGuidance = -0.1",
                "0..10"
            },
            {
                new MethodParameters { EditMultiplier = float.PositiveInfinity },
                "EditMultiplier = ",
                "default 1"
            },
            {
                new MethodParameters { NegativePrompt = new string('a', 1001) },
                "NegativePrompt = 1001 characters",
                "at most 1000"
            },
        };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Invalid_options_are_refused_naming_the_property_the_value_and_the_accepted_range(
        MethodParameters options,
        string named,
        string accepted
    )
    {
        var e = Assert.Throws<InvalidOptionException>(() => options.Validate());
        Assert.Contains(named, e.Message);
        Assert.Contains(accepted, e.Message);
    }

    [Fact]
    public void A_guidance_scale_of_one_is_refused_before_any_work()
    {
        using var photo = Photo();
        var progress = new List<PipelineStep>();
        Assert.Throws<InvalidOptionException>(() =>
            Pipeline.Invert(photo, Caption, new MethodParameters { GuidanceScale = 1f }, progress.Add)
        );
        Assert.Empty(progress);
    }

    [Fact]
    public void Inversion_is_deterministic_for_a_seed_and_the_seed_moves_the_rolls()
    {
        using var photo = Photo();
        var first = Pipeline.Invert(photo, Caption, Short with { Seed = 11 }).Latent.Buffer.ToArray();
        var again = Pipeline.Invert(photo, Caption, Short with { Seed = 11 }).Latent.Buffer.ToArray();
        var other = Pipeline.Invert(photo, Caption, Short with { Seed = 12 }).Latent.Buffer.ToArray();
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Fact]
    public void Synthetic_generation_is_deterministic_for_a_seed()
    {
        var (reference, edits) = Pipeline.Generate("a photo of a cat", [tiny.CatToDog], Short with { Seed = 5 });
        var (referenceAgain, editsAgain) = Pipeline.Generate(
            "a photo of a cat",
            [tiny.CatToDog],
            Short with
            {
                Seed = 5,
            }
        );
        var (otherReference, _) = Pipeline.Generate("a photo of a cat", [tiny.CatToDog], Short with { Seed = 6 });
        Assert.Equal(ImageCodec.EncodePng(reference), ImageCodec.EncodePng(referenceAgain));
        Assert.Equal(ImageCodec.EncodePng(edits[0]), ImageCodec.EncodePng(editsAgain[0]));
        Assert.NotEqual(ImageCodec.EncodePng(reference), ImageCodec.EncodePng(otherReference));
    }

    [Fact]
    public void The_step_end_callback_sees_every_stage_and_step_in_order_with_each_steps_record()
    {
        using var photo = Photo();
        var progress = new List<PipelineStep>();
        var inverted = Pipeline.Invert(photo, Caption, Short, progress.Add);
        Pipeline.Edit(inverted, [tiny.CatToDog, tiny.CatToHorse], Short, progress.Add);
        Assert.Equal(
            [
                ("encode", 0, 1),
                ("encode", 1, 1),
                ("invert", 1, 3),
                ("invert", 2, 3),
                ("invert", 3, 3),
                ("edit", 1, 3),
                ("edit", 2, 3),
                ("edit", 3, 3),
                ("decode", 0, 2),
                ("decode", 2, 2),
            ],
            progress.Select(p => (p.Stage.Name, p.Step, p.Total))
        );
        Assert.All(progress.Where(p => p.Stage == EditStage.Invert), p => Assert.Equal(p.Step - 1, p.Inversion!.Index));
        Assert.All(progress.Where(p => p.Stage == EditStage.Edit), p =>
            Assert.Equal((p.Step - 1, 2), (p.Edit!.Index, p.Edit.Edits.Count))
        );
        Assert.Equal(
            inverted.Latent.Buffer.ToArray(),
            progress.Last(p => p.Stage == EditStage.Invert).Inversion!.Latent
        );
    }

    [Fact]
    public void A_photo_edit_reports_its_caption_and_word_means_and_times_its_four_stages()
    {
        using var photo = Photo();
        var progress = new List<PipelineStep>();
        var request = new PhotoEditRequest(
            photo,
            "cat.png",
            [EditTask.Parse("cat2dog")],
            Short,
            new SentenceSource.BuiltIn(8),
            tiny.Store
        )
        {
            Caption = Caption,
        };

        var edited = Pipeline.EditPhoto(request, progress.Add).Single();
        edited.Image.Dispose();

        var captioned = progress[0];
        Assert.Equal(
            (EditStage.Caption, Caption, "user"),
            (captioned.Stage, captioned.Caption, captioned.CaptionSource)
        );
        Assert.Equal(
            [("word means", 0, 2, "cat"), ("word means", 1, 2, "dog"), ("word means", 2, 2, "dog")],
            progress
                .Where(p => p.Stage == EditStage.Directions)
                .Select(p => (p.Stage.DisplayName, p.Step, p.Total, p.Word))
        );
        Assert.Equal(["caption", "directions", "invert", "edit"], edited.Record.StageSeconds.Keys);
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var photo = Photo();
        using var cancel = new CancellationTokenSource();
        var progress = new List<PipelineStep>();
        void Reporter(PipelineStep step)
        {
            progress.Add(step);
            if (step is { Stage.Name: "invert", Step: 2 })
                cancel.Cancel();
        }
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Pipeline.Invert(photo, Caption, Short, Reporter, cancel.Token)
        );
        Assert.Equal((EditStage.Invert, 2, 3), (progress[^1].Stage, progress[^1].Step, progress[^1].Total));
    }

    [Fact]
    public void Directions_edited_together_share_one_reference_pass_and_match_separate_edits()
    {
        using var photo = Photo();
        var inverted = Pipeline.Invert(photo, Caption, Short);
        var together = Pipeline.Edit(inverted, [tiny.CatToDog, tiny.CatToHorse], Short);
        var dog = Pipeline.Edit(inverted, [tiny.CatToDog], Short).Single();
        var horse = Pipeline.Edit(inverted, [tiny.CatToHorse], Short).Single();
        Assert.Equal(ImageCodec.EncodePng(dog), ImageCodec.EncodePng(together[0]));
        Assert.Equal(ImageCodec.EncodePng(horse), ImageCodec.EncodePng(together[1]));
        Assert.NotEqual(ImageCodec.EncodePng(together[0]), ImageCodec.EncodePng(together[1]));
    }

    [Fact]
    public void An_inverted_image_is_edited_only_with_the_steps_it_was_inverted_with()
    {
        using var photo = Photo();
        var inverted = Pipeline.Invert(photo, Caption, Short);
        var e = Assert.Throws<InvalidOptionException>(() =>
            Pipeline.Edit(inverted, [tiny.CatToDog], Short with { Steps = 4 })
        );
        Assert.Contains("steps = 4", e.Message);
        Assert.Contains("3 steps", e.Message);
    }

    [Fact]
    public void A_damaged_inverted_latent_is_refused_with_its_name()
    {
        using var photo = Photo();
        var bytes = Pipeline.Invert(photo, Caption, Short).ToBytes();
        var e = Assert.Throws<InvalidDataException>(() =>
            InvertedImage.FromBytes(bytes[..^4], "work/abc/inverted.bin")
        );
        Assert.Contains("work/abc/inverted.bin", e.Message);
    }
}
