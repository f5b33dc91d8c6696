using System.Text.Json;
using Pix2PixZero.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Processing;

namespace Pix2PixZero.Tests.Cli;

/// <summary>
/// <c>edit</c> on a 16:9 photo (a 512×288 crop of data/images/cat_1.png) with the tiny dynamic bundle, run as a user
/// runs it: the picture keeps the photo's proportions (or its very pixel size, when asked) and the record says so.
/// </summary>
public sealed class PhotoProportionsCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-aspect-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task A_16_by_9_photo_comes_back_at_about_16_by_9_and_the_record_holds_both_sizes()
    {
        var (picture, record) = await Edit();

        using (var image = await Image.LoadAsync(picture))
        {
            var aspect = (double)image.Width / image.Height;
            Assert.True(Math.Abs(aspect / (16.0 / 9) - 1) <= 0.15, $"{image.Width}×{image.Height} is not about 16:9");
            Assert.Equal((128, 64), (image.Width, image.Height));
        }
        Assert.Equal((512, 288, 128, 64, 128, 64), Sizes(record));
    }

    [Fact]
    public async Task With_original_size_the_picture_has_the_photos_own_pixel_size()
    {
        var (picture, record) = await Edit("--original-size", "--caption", "a cat");

        using (var image = await Image.LoadAsync(picture))
            Assert.Equal((512, 288), (image.Width, image.Height));
        Assert.Equal((512, 288, 128, 64, 512, 288), Sizes(record));
    }

    private static (int, int, int, int, int, int) Sizes(JsonElement record) =>
        (
            record.GetProperty("originalWidth").GetInt32(),
            record.GetProperty("originalHeight").GetInt32(),
            record.GetProperty("processingWidth").GetInt32(),
            record.GetProperty("processingHeight").GetInt32(),
            record.GetProperty("resultWidth").GetInt32(),
            record.GetProperty("resultHeight").GetInt32()
        );

    // Crops the photo to 512×288, edits it with the CLI and returns the picture's path and its record.
    private async Task<(string Picture, JsonElement Record)> Edit(params string[] extra)
    {
        var photo = Path.Combine(_scratch, "wide.png");
        using (var cat = await Image.LoadAsync(RepoPaths.Image("cat_1.png")))
        {
            cat.Mutate(x => x.Crop(new Rectangle(0, 112, 512, 288)));
            await cat.SaveAsPngAsync(photo);
        }
        var output = Path.Combine(_scratch, "out");
        string[] arguments =
        [
            "edit",
            photo,
            "--task",
            "cat2dog",
            "--model",
            RepoPaths.TinySdDynamic,
            "--steps",
            "3",
            "--sentences",
            "4",
            "--directions",
            Path.Combine(_scratch, "directions"),
            "--out",
            output,
            .. extra,
        ];
        // Generous: on a busy 2-core machine the first run also compiles the guidance graphs.
        var (status, stdout, stderr) = await CliProcess.RunAsync(600, arguments);
        Assert.True(status == 0, $"exit {status}: {stdout}{stderr}");
        var picture = Path.Combine(output, "wide.cat2dog.png");
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.ChangeExtension(picture, ".json")));
        return (picture, json.RootElement.Clone());
    }
}
