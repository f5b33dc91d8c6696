using System.Diagnostics;
using System.Text.Json;
using SixLabors.ImageSharp;

namespace Pix2PixZero.Tests.Pipeline;

/// <summary>The README's first command: the whole method on the bundled tiny model, run as a user runs it.</summary>
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-demo-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private static string ShippedDemo => Path.Combine(AppContext.BaseDirectory, "demo");

    [Fact]
    public async Task Demo_captions_computes_directions_inverts_edits_and_says_where_the_picture_and_its_record_went()
    {
        var output = Path.Combine(_scratch, "out");
        var stdout = await RunDemo(
            "--model",
            RepoPaths.CopyOfTinySd(),
            "--steps",
            "4",
            "--sentences",
            "8",
            "--out",
            output
        );

        var picture = Path.Combine(output, "cat_1.cat2dog.png");
        var record = Path.Combine(output, "cat_1.cat2dog.json");
        Assert.Contains($"output: {picture} (the edited picture) and {record} (its record", stdout);
        using (var image = await Image.LoadAsync(picture))
            Assert.Equal((128, 128), (image.Width, image.Height));
        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(record));
        var root = json.RootElement;
        Assert.Equal(
            ("cat2dog", 4, "BLIP", Path.Combine(ShippedDemo, "cat_1.png")),
            (
                root.GetProperty("task").GetString(),
                root.GetProperty("steps").GetInt32(),
                root.GetProperty("captionSource").GetString(),
                root.GetProperty("input").GetString()
            )
        );
        Assert.Equal(
            ["caption", "directions", "edit", "invert", "load"],
            root.GetProperty("stageSeconds").EnumerateObject().Select(p => p.Name).Order()
        );
    }

    [Fact]
    public async Task The_demo_model_and_photo_ship_with_the_cli_so_it_runs_from_any_folder()
    {
        var output = Path.Combine(_scratch, "out");
        await RunDemo("--steps", "2", "--sentences", "2", "--out", output);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(output, "cat_1.cat2dog.json")));
        Assert.Equal(
            (Path.Combine(ShippedDemo, "tiny-sd"), Path.Combine(ShippedDemo, "cat_1.png")),
            (
                json.RootElement.GetProperty("modelDirectory").GetString(),
                json.RootElement.GetProperty("input").GetString()
            )
        );
        Assert.Equal(
            File.ReadAllBytes(RepoPaths.Image("cat_1.png")),
            File.ReadAllBytes(Path.Combine(ShippedDemo, "cat_1.png"))
        );
    }

    // Runs the demo from the scratch folder (outside the repository), as a user runs it; returns standard output.
    private async Task<string> RunDemo(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = _scratch,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (
            var argument in new[]
            {
                Path.Combine(AppContext.BaseDirectory, "pix2pix-zero.dll"),
                "demo",
                "--directions",
                Path.Combine(_scratch, "directions"),
            }.Concat(arguments)
        )
            start.ArgumentList.Add(argument);

        using var demo = Process.Start(start)!;
        var stdout = demo.StandardOutput.ReadToEndAsync();
        var stderr = demo.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await demo.WaitForExitAsync(timeout.Token);
        Assert.True(demo.ExitCode == 0, $"exit {demo.ExitCode}: {await stdout}{await stderr}");
        return await stdout;
    }
}
