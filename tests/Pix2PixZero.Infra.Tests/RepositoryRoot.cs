namespace Pix2PixZero.Infra.Tests;

/// <summary>The repository root: the nearest folder above the test assembly that holds Pix2PixZero.sln.</summary>
public static class RepositoryRoot
{
    public static string Path { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Pix2PixZero.sln")))
                return dir.FullName;
        }
        throw new InvalidOperationException(
            $"No Pix2PixZero.sln above {AppContext.BaseDirectory}; run the tests from inside the repository.");
    }
}
