namespace Pix2PixZero.Tests.Support;

/// <summary>Locates the repository root (the folder holding Pix2PixZero.sln) and the shared data beside it.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    public static string TinySd => Path.Combine(Fixtures, "tiny-sd");

    public static string TinySdDynamic => Path.Combine(Fixtures, "tiny-sd-dynamic");

    public static string Goldens => Path.Combine(Fixtures, "goldens");

    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    public static string ClipMergeList => Path.Combine(SharedData, "clip", "bpe_simple_vocab_16e6.txt.gz");

    public static string Image(string name) => Path.Combine(SharedData, "images", name);

    public static string Regularizer(string name) => Path.Combine(Fixtures, "regularizer", name);

    public static string Embedding(string word) => Path.Combine(SharedData, "embeddings_sd_1.4", $"{word}.pt");

    /// <summary>A scratch copy of the tiny static bundle (without generated files), for tests that write into or break a bundle.</summary>
    public static string CopyOfTinySd()
    {
        var target = Path.Combine(Directory.CreateTempSubdirectory("p2pz-bundle-").FullName, "tiny-sd");
        foreach (var file in Directory.EnumerateFiles(TinySd, "*", SearchOption.AllDirectories)
                     .Where(f => !Core.Bundles.BundleLayout.GeneratedFileNames.Contains(Path.GetFileName(f))))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(TinySd, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pix2PixZero.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no Pix2PixZero.sln above {AppContext.BaseDirectory}");
    }
}
