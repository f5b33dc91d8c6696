namespace Pix2PixZero.Core.Bundles;

/// <summary>A model folder or graph that is missing, malformed or not what the method needs; names the file.</summary>
public sealed class ModelBundleException(string path, string problem, Exception? inner = null)
    : Pix2PixZeroException($"{path}: {problem}", inner ?? new InvalidDataException(problem))
{
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
