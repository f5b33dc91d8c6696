using System.Text.Json;
using Pix2PixZero.Core.Bundles;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Locates the tiny SD fixtures and copies a UNet folder to a scratch directory (compiling writes beside it).
/// </summary>
public static class GraphFixtures
{
    public static string Root => RepoPaths.Fixtures;

    public static Npy.Array Golden(string name) => Npy.Golden(name + ".npy");

    public static JsonElement Index() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Goldens, "index.json"))).RootElement;

    /// <summary>
    /// Copies bundle/unet (model.onnx + weights.pb, no compiled
    /// graphs) into a fresh temp folder; returns the model path.
    /// </summary>
    public static string CopyUnet(string bundle)
    {
        var target = Directory.CreateTempSubdirectory("p2pz-unet-").FullName;
        foreach (
            var file in Directory
                .GetFiles(Path.Combine(Root, bundle, "unet"))
                .Where(f => !BundleLayout.GeneratedFileNames.Contains(Path.GetFileName(f)))
        )
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return Path.Combine(target, "model.onnx");
    }
}
