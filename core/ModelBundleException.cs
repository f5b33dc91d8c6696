namespace Pix2PixZero.Core;

/// <summary>
/// A model folder or graph that is missing, malformed or not what the method needs; names the file. A
/// <see cref="FailureKind.Permanent"/> failure: the folder stays broken until someone changes it. (The Functions
/// worker, whose folder may still be filling or mounting, tries a failed load again, so there a load failure is
/// transient.)
/// </summary>
public sealed class ModelBundleException(string path, string problem, Exception? inner = null)
    : Pix2PixZeroException(FailureKind.Permanent, $"{path}: {problem}", inner ?? new InvalidDataException(problem))
{
    public string Path { get; } = path;

    public string Problem { get; } = problem;
}
