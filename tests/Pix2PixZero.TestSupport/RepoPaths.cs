using Google.Protobuf;

namespace Pix2PixZero.TestSupport;

/// <summary>Locates the repository root (the folder holding Pix2PixZero.sln), its fixtures and its real data.</summary>
public static class RepoPaths
{
    public static string Root { get; } = FindRoot();

    public static string Fixtures => Path.Combine(Root, "tests", "fixtures");

    public static string TinySd => Path.Combine(Fixtures, "tiny-sd");

    public static string TinySdDynamic => Path.Combine(Fixtures, "tiny-sd-dynamic");

    public static string Goldens => Path.Combine(Fixtures, "goldens");

    /// <summary>The real photos, CLIP merge list and word embeddings in the repository (data/README.md).</summary>
    public static string Data => Path.Combine(Root, "data");

    public static string ClipMergeList => Path.Combine(Data, "clip", "bpe_simple_vocab_16e6.txt.gz");

    public static string Image(string name) => Path.Combine(Data, "images", name);

    public static string Regularizer(string name) => Path.Combine(Fixtures, "regularizer", name);

    public static string Embedding(string word) => Path.Combine(Data, "embeddings_sd_1.4", $"{word}.pt");

    /// <summary>
    /// A scratch copy of the tiny static bundle (without generated files), for tests that write into or break a bundle.
    /// </summary>
    public static string CopyOfTinySd() => CopyOfBundle(TinySd);

    /// <summary>The same for the tiny dynamic bundle, whose UNet runs at any photo's proportions.</summary>
    public static string CopyOfTinySdDynamic() => CopyOfBundle(TinySdDynamic);

    private static string CopyOfBundle(string bundle)
    {
        var target = Path.Combine(Directory.CreateTempSubdirectory("p2pz-bundle-").FullName, Path.GetFileName(bundle));
        foreach (var file in CommittedFiles(bundle))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(bundle, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }
        return target;
    }

    /// <summary>
    /// A copy of the tiny bundle whose UNet weights are all NaN, as a bit-flipped or fp16-overflowing weights file
    /// makes some of them: every UNet call returns NaN.
    /// </summary>
    public static string CopyOfTinySdWithNonFiniteUnet()
    {
        var bundle = CopyOfTinySd();
        var weights = Path.Combine(bundle, "unet", "weights.pb");
        var nan = BitConverter.GetBytes(float.NaN);
        var bytes = new byte[new FileInfo(weights).Length];
        for (var i = 0; i + 4 <= bytes.Length; i += 4)
            nan.CopyTo(bytes, i);
        File.WriteAllBytes(weights, bytes);
        return bundle;
    }

    /// <summary>
    /// A copy of the tiny bundle whose text encoder's float weights (held inside its graph) are all NaN: every
    /// embedding it makes is NaN, as corrupt text-encoder weights make it.
    /// </summary>
    public static string CopyOfTinySdWithNonFiniteTextEncoder()
    {
        var bundle = CopyOfTinySd();
        var graph = Path.Combine(bundle, "text_encoder", "model.onnx");
        var model = Core.Graph.Onnx.ModelProto.Parser.ParseFrom(File.ReadAllBytes(graph));
        var nan = BitConverter.GetBytes(float.NaN);
        foreach (var weights in model.Graph.Initializer.Where(t => t.DataType == 1 && t.RawData.Length > 0))
        {
            var bytes = new byte[weights.RawData.Length];
            for (var i = 0; i + 4 <= bytes.Length; i += 4)
                nan.CopyTo(bytes, i);
            weights.RawData = Google.Protobuf.ByteString.CopyFrom(bytes);
        }
        File.WriteAllBytes(graph, model.ToByteArray());
        return bundle;
    }

    /// <summary>
    /// The files of a fixture folder that git holds: without the files tests compile beside the fixtures (guidance
    /// graphs, the rewritten VAE encoder) nor the temporaries of such a write in progress, which another test may be
    /// making, or removing, at this moment.
    /// </summary>
    public static IEnumerable<string> CommittedFiles(string folder) =>
        Directory
            .EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f =>
                Path.GetFileName(f) is var name
                && !Core.Bundles.BundleLayout.GeneratedFileNames.Contains(name)
                && !Core.Serialization.AtomicFile.IsTemporary(name)
            );

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pix2PixZero.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"no Pix2PixZero.sln above {AppContext.BaseDirectory}");
    }
}
