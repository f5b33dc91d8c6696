using System.Security.Cryptography;
using Pix2PixZero.Cli.Commands;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Serialization;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Tests.Bundles;

/// <summary>
/// Model folders as people have them: a Hugging Face cache snapshot (every file a relative link into the
/// repository's <c>blobs/</c>, as <c>huggingface-cli download</c> leaves it) prepares and edits, its compiled graphs
/// reading the weights through the links; a link that leaves the snapshot's repository is refused before any work;
/// a read-only folder edits with its compiled graphs in the graph cache and nothing written into it.
/// </summary>
public sealed class RealModelFolderTests : IDisposable
{
    private const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly string _scratch = Directory.CreateTempSubdirectory("p2pz-folders-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private string Repository => Path.Combine(_scratch, "hub", "models--owner--tiny-sd");

    private string Snapshot => Path.Combine(Repository, "snapshots", Commit);

    /// <summary>
    /// The tiny bundle laid out as the Hugging Face cache holds a repository: each file stored once in
    /// <c>blobs/{sha256}</c>, and <c>snapshots/{commit}/{path}</c> a relative link to it.
    /// </summary>
    private string HubSnapshotOfTinySd()
    {
        var blobs = Directory.CreateDirectory(Path.Combine(Repository, "blobs")).FullName;
        foreach (var file in RepoPaths.CommittedFiles(RepoPaths.TinySd))
        {
            var blob = Path.Combine(blobs, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(file))));
            if (!File.Exists(blob))
                File.Copy(file, blob);
            var link = Path.Combine(Snapshot, Path.GetRelativePath(RepoPaths.TinySd, file));
            Directory.CreateDirectory(Path.GetDirectoryName(link)!);
            File.CreateSymbolicLink(link, Path.GetRelativePath(Path.GetDirectoryName(link)!, blob));
        }
        return Snapshot;
    }

    private string[] Edit(string model) =>
        [
            "edit",
            RepoPaths.Image("cat_1.png"),
            "--task",
            "cat2dog",
            "--model",
            model,
            "--caption",
            "a cat",
            "--steps",
            "2",
            "--sentences",
            "2",
            "--provider",
            "Cpu",
            "--directions",
            Path.Combine(_scratch, "directions"),
            "-o",
            Path.Combine(_scratch, "out"),
        ];

    [Fact]
    public async Task A_hugging_face_cache_snapshot_edits_through_the_cli()
    {
        var snapshot = HubSnapshotOfTinySd();
        Assert.Equal(
            "../../../blobs",
            Path.GetDirectoryName(new FileInfo(Path.Combine(snapshot, "unet", "weights.pb")).LinkTarget)
        );

        var inspect = await CliProcess.RunAsync("models", "inspect", snapshot, "--provider", "Cpu");
        Assert.True(inspect.Status == 0, inspect.Output + inspect.Error);
        Assert.Contains(
            "layout: a Hugging Face cache snapshot; every link stays inside models--owner--tiny-sd",
            inspect.Output
        );

        var (status, output, error) = await CliProcess.RunAsync(300, Edit(snapshot));
        Assert.True(status == 0, error);
        Assert.Contains("wrote ", output);
        var record = File.ReadAllText(Path.Combine(_scratch, "out", "cat_1.cat2dog.json"));
        Assert.Contains(
            "\"scheduler\": \"DDIM, eta 0, epsilon prediction, leading timesteps, steps_offset 1, scaled_linear betas",
            record
        );
        // The compiled graphs are real files beside the links, reading the weights in blobs/ where they lie.
        Assert.Null(new FileInfo(Path.Combine(snapshot, "unet", GuidanceGraphCompiler.GuidanceFile)).LinkTarget);
    }

    [Fact]
    public async Task A_link_that_leaves_the_snapshots_repository_is_refused_before_any_work()
    {
        var snapshot = HubSnapshotOfTinySd();
        var vocab = Path.Combine(snapshot, "tokenizer", "vocab.json");
        var elsewhere = Path.Combine(Directory.CreateDirectory(Path.Combine(_scratch, "elsewhere")).FullName, "v.json");
        File.Copy(vocab, elsewhere);
        File.Delete(vocab);
        File.CreateSymbolicLink(vocab, Path.GetRelativePath(Path.GetDirectoryName(vocab)!, elsewhere));
        var problem =
            $"{vocab}: is a link to '../../../../../elsewhere/v.json', which leads out of the Hugging Face cache "
            + $"repository models--owner--tiny-sd (to {elsewhere})";

        var inspect = await CliProcess.RunAsync("models", "inspect", snapshot, "--provider", "Cpu");
        Assert.Equal(CommandLine.UserError, inspect.Status);
        Assert.Contains("Problems (1):", inspect.Output);
        Assert.Contains(problem, inspect.Output);

        var (status, output, error) = await CliProcess.RunAsync(Edit(snapshot));
        Assert.Equal(CommandLine.UserError, status);
        Assert.StartsWith($"error: {problem}", error);
        Assert.Contains("Download the repository again, or replace the link with the file itself", error);
        Assert.DoesNotContain("caption", output);
        Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(_scratch, "directions")));
    }

    [Fact]
    public void A_read_only_model_folder_edits_with_its_compiled_graphs_in_the_graph_cache()
    {
        var bundle = RepoPaths.CopyOfTinySd();
        try
        {
            var before = Listing(bundle);
            // Root writes anywhere, so the folder is presented as read-only as a read-only mount reports it.
            var cache = new GraphCache(Path.Combine(_scratch, "graphs"))
            {
                IsWritable = folder => folder != Unet(bundle),
            };

            using (var model = ModelBundle.Open(bundle, TestProvider.NewFactory(), graphCache: cache))
            using (var pipeline = new Pix2PixZeroPipeline(model))
            {
                using var image = ImageCodec.Load(RepoPaths.Image("cat_1.png"));
                var request = new PhotoEditRequest(
                    image,
                    RepoPaths.Image("cat_1.png"),
                    [EditTask.Parse("cat2dog")],
                    new MethodParameters { Steps = 2 },
                    new SentenceSource.BuiltIn(2),
                    new DirectionStore(Path.Combine(_scratch, "directions"))
                )
                {
                    Caption = "a cat",
                };
                var picture = Assert.Single(pipeline.EditPhoto(request));
                picture.Image.Dispose();
            }

            var compiled = Path.Combine(cache.Root, FileDigest.Sha256(Path.Combine(Unet(bundle), "model.onnx")));
            Assert.All(BundleLayout.GeneratedFileNames, name =>
                Assert.True(File.Exists(Path.Combine(compiled, name)), $"{name} is not in {compiled}")
            );
            Assert.Equal(before, Listing(bundle));

            using var reopened = ModelBundle.Open(bundle, TestProvider.NewFactory(), graphCache: cache);
            using var again = new Pix2PixZeroPipeline(reopened);
            var graphs = again.Sessions.Prepare();
            Assert.True(graphs.FromCache);
            Assert.Equal(Path.Combine(compiled, GuidanceGraphCompiler.GuidanceFile), graphs.GuidancePath);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(bundle)!, recursive: true);
        }
    }

    private static string Unet(string bundle) => Path.Combine(bundle, BundleComponent.Unet);

    private static List<(string, long, DateTime)> Listing(string folder) =>
        Directory
            .EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .Select(f => (f, new FileInfo(f).Length, File.GetLastWriteTimeUtc(f)))
            .ToList();
}
