using System.Text.Json;
using Pix2PixZero.Core.Captioning;
using Pix2PixZero.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Tests.Captioning;

/// <summary>
/// The tiny BLIP captioner goldens written by <c>/usr/bin/python3 tests/fixtures/generate.py</c>
/// (tests/fixtures/blip/fixture.py) into tests/fixtures/blip/goldens/,
/// and one captioner per bundle shared by the tests.
/// </summary>
public sealed class BlipGoldens : IDisposable
{
    public static string Folder => Path.Combine(RepoPaths.Fixtures, "blip", "goldens");

    public static string Captioner(string bundle) => Path.Combine(RepoPaths.Fixtures, bundle, "captioner");

    public static Npy.Array Read(string name) => Npy.Read(Path.Combine(Folder, name + ".npy"));

    public static JsonElement Index { get; } =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Folder, "index.json"))).RootElement.Clone();

    /// <summary>The PIL bicubic 384×384 resize of a photo, as the reference fed it to the model.</summary>
    public static Image<Rgb24> Resized(string name) =>
        Image.LoadPixelData<Rgb24>(Read($"{name}_resized").Data, 384, 384);

    public BlipCaptioner Static { get; } = BlipCaptioner.Load(Captioner("tiny-sd"), TestProvider.NewFactory());

    public void Dispose() => Static.Dispose();
}
