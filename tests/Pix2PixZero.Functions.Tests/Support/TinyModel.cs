namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A private copy of tests/fixtures/tiny-sd: the pipeline compiles its guidance graphs beside the UNet, and the core
/// test project may be doing the same in the fixture folder at the same moment.
/// </summary>
public static class TinyModel
{
    private static readonly Lazy<string> Copy = new(RepoPaths.CopyOfTinySd);

    public static string Folder => Copy.Value;

    public static byte[] Photo(string name = "cat_1.png") => File.ReadAllBytes(RepoPaths.Image(name));
}
