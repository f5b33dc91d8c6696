using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A private copy of tests/fixtures/tiny-sd: the pipeline compiles its guidance graphs beside the UNet, and the core
/// test project may be doing the same in the fixture folder at the same moment.
/// </summary>
public static class TinyModel
{
    private static readonly Lazy<string> Copy = new(() =>
    {
        var target = Directory.CreateTempSubdirectory("p2pz-tiny-sd-").FullName;
        foreach (var file in Directory.EnumerateFiles(RepoPaths.TinySd, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(RepoPaths.TinySd, file);
            if (Path.GetFileName(relative) is "attention_probe.onnx" or "guidance.onnx" or "guidance.manifest.json" or "model.posterior-mean.onnx")
                continue;
            Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(target, relative))!);
            File.Copy(file, Path.Combine(target, relative));
        }
        return target;
    });

    public static string Folder => Copy.Value;

    public static byte[] Photo(string name = "cat_1.png") => File.ReadAllBytes(RepoPaths.Image(name));
}
