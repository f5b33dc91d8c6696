namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A private copy of tests/fixtures/tiny-sd: the pipeline compiles its guidance graphs beside the UNet, and the core
/// test project may be doing the same in the fixture folder at the same moment.
/// </summary>
public static class TinyModel
{
    private static readonly Lazy<string> Copy = new(RepoPaths.CopyOfTinySd);
    private static readonly Lazy<string> DynamicCopy = new(RepoPaths.CopyOfTinySdDynamic);

    public static string Folder => Copy.Value;

    /// <summary>A private copy of tests/fixtures/tiny-sd-dynamic, which runs photos at their proportions.</summary>
    public static string DynamicFolder => DynamicCopy.Value;

    public static byte[] Photo(string name = "cat_1.png") => File.ReadAllBytes(RepoPaths.Image(name));
}
