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
        var progress = new List<PipelineProgress>();
        Assert.Throws<InvalidOptionException>(() =>
            Pipeline.Invert(photo, Caption, new MethodParameters { GuidanceScale = 1f }, new Collect(progress))
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
    public void Progress_reports_every_stage_and_step_in_order()
    {
        using var photo = Photo();
        var progress = new List<PipelineProgress>();
        var inverted = Pipeline.Invert(photo, Caption, Short, new Collect(progress));
        Pipeline.Edit(inverted, [tiny.CatToDog, tiny.CatToHorse], Short, new Collect(progress));
        Assert.Equal(
            [
                new("encode", 0, 1),
                new("invert", 1, 3),
                new("invert", 2, 3),
                new("invert", 3, 3),
                new("edit", 1, 3),
                new("edit", 2, 3),
                new("edit", 3, 3),
                new("decode", 0, 2),
                new("decode", 2, 2),
            ],
            progress
        );
    }

    [Fact]
    public void Cancellation_stops_between_steps()
    {
        using var photo = Photo();
        using var cancel = new CancellationTokenSource();
        var progress = new List<PipelineProgress>();
        var reporter = new Collect(progress, p =>
        {
            if (p is { Stage: "invert", Step: 2 })
                cancel.Cancel();
        });
        Assert.ThrowsAny<OperationCanceledException>(() =>
            Pipeline.Invert(photo, Caption, Short, reporter, cancel.Token)
        );
        Assert.Equal(new PipelineProgress("invert", 2, 3), progress[^1]);
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

    // Progress<T> would post to the thread pool; these tests need every report, in order, before the work goes on.
    private sealed class Collect(List<PipelineProgress> into, Action<PipelineProgress>? then = null)
        : IProgress<PipelineProgress>
    {
        public void Report(PipelineProgress value)
        {
            into.Add(value);
            then?.Invoke(value);
        }
    }
}
