using System.Diagnostics;
using System.Text.Json;
using Pix2PixZero.Tests.Support;
using SixLabors.ImageSharp;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>The README's first command: the whole method on the bundled tiny model, run as a user runs it.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-demo-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    [Fact]
    public async Task Demo_captions_computes_directions_inverts_edits_and_says_where_the_picture_and_its_record_went()
    {
        var output = Path.Combine(_scratch, "out");
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _scratch, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
                 {
                     Path.Combine(AppContext.BaseDirectory, "pix2pix-zero.dll"), "demo", "--model", RepoPaths.CopyOfTinySd(), "--steps", "4",
                     "--sentences", "8", "--directions", Path.Combine(_scratch, "directions"), "--out", output,
                 })
            start.ArgumentList.Add(argument);

        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await demo.WaitForExitAsync(timeout.Token);

        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}: {await stdout}{await stderr}");
        var picture = Path.Combine(output, "cat_1.cat2dog.png");
        var record = Path.Combine(output, "cat_1.cat2dog.json");
        Assert.Contains($"output: {picture} (the edited picture) and {record} (its record", await stdout);
        using (var image = await Image.LoadAsync(picture))
            Assert.Equal((128, 128), (image.Width, image.Height));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(record));
        var root = json.RootElement;
        Assert.Equal(("cat2dog", 4, "BLIP", RepoPaths.Image("cat_1.png")),
            (root.GetProperty("task").GetString(), root.GetProperty("steps").GetInt32(), root.GetProperty("captionSource").GetString(), root.GetProperty("input").GetString()));
        Assert.Equal(["caption", "directions", "edit", "invert", "load"], root.GetProperty("stageSeconds").EnumerateObject().Select(p => p.Name).Order());
    }
}
