using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public sealed class DirectionStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"p2pz-store-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_root))
            Directory.Delete(_root, recursive: true);
    }

    private static WordMean Mean(
        string word,
        string hash,
        float scale = 1f,
        string model = "CompVis/stable-diffusion-v1-4"
    ) =>
        new(
            model,
            EditWord.Parse(word),
            77,
            8,
            Enumerable.Range(0, 77 * 8).Select(i => i * 0.001f * scale - 0.3f).ToArray(),
            1000,
            hash
        );

    [Fact]
    public void Saved_mean_loads_back_identically()
    {
        var store = new DirectionStore(_root);
        var mean = Mean("teddy bear", "abc123");
        store.Save(mean);

        Assert.True(store.TryLoad(mean.ModelId, mean.Word, "abc123", out var loaded));
        Assert.Equal(mean.Values, loaded!.Values);
        Assert.Equal(
            (mean.ModelId, mean.Word, mean.Rows, mean.Width, mean.SentenceCount, mean.SentenceSetHash),
            (loaded.ModelId, loaded.Word, loaded.Rows, loaded.Width, loaded.SentenceCount, loaded.SentenceSetHash)
        );
    }

    [Fact]
    public void Means_are_keyed_by_model_word_and_sentence_set()
    {
        var store = new DirectionStore(_root);
        store.Save(Mean("cat", "h1"));
        Assert.False(store.TryLoad("CompVis/stable-diffusion-v1-4", EditWord.Parse("cat"), "h2", out _));
        Assert.False(store.TryLoad("CompVis/stable-diffusion-v1-4", EditWord.Parse("dog"), "h1", out _));
        Assert.False(store.TryLoad("runwayml/stable-diffusion-v1-5", EditWord.Parse("cat"), "h1", out _));
        Assert.True(store.TryLoad("CompVis/stable-diffusion-v1-4", EditWord.Parse("Cat"), "h1", out _));
    }

    [Fact]
    public void Saving_again_overwrites_and_leaves_no_temporary_files()
    {
        var store = new DirectionStore(_root);
        store.Save(Mean("cat", "h1"));
        store.Save(Mean("cat", "h1", scale: 2f));

        store.TryLoad("CompVis/stable-diffusion-v1-4", EditWord.Parse("cat"), "h1", out var loaded);
        Assert.Equal(Mean("cat", "h1", scale: 2f).Values, loaded!.Values);
        Assert.Single(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void A_failed_save_leaves_neither_a_partial_nor_a_temporary_file()
    {
        var store = new DirectionStore(_root);
        var mean = Mean("cat", "h1");
        string path = store.PathFor(mean.ModelId, mean.Word, mean.SentenceSetHash);
        Directory.CreateDirectory(path); // the final move cannot replace a folder

        Assert.ThrowsAny<IOException>(() => store.Save(mean));
        Assert.Empty(Directory.GetFiles(_root, "*", SearchOption.AllDirectories));
    }

    [Fact]
    public void Truncated_file_is_reported_with_advice()
    {
        var store = new DirectionStore(_root);
        var mean = Mean("cat", "h1");
        store.Save(mean);
        string path = store.PathFor(mean.ModelId, mean.Word, "h1");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^10]);

        var error = Assert.Throws<InvalidInputException>(() => store.TryLoad(mean.ModelId, mean.Word, "h1", out _));
        Assert.Contains("delete it to recompute", error.Message);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void File_header_is_readable_json_after_the_magic()
    {
        var store = new DirectionStore(_root);
        var mean = Mean("cat", "h1");
        store.Save(mean);
        var bytes = File.ReadAllBytes(store.PathFor(mean.ModelId, mean.Word, "h1"));
        Assert.Equal("P2PZMEAN"u8.ToArray(), bytes[..8]);
        int length = BitConverter.ToInt32(bytes, 8);
        string header = System.Text.Encoding.UTF8.GetString(bytes, 12, length);
        Assert.Contains("\"shape\":[77,8]", header);
        Assert.Contains("\"modelId\":\"CompVis/stable-diffusion-v1-4\"", header);
        Assert.Equal(12 + length + 77 * 8 * 4, bytes.Length);
    }

    [Fact]
    public void Paths_stay_inside_the_root_whatever_the_model_id()
    {
        var store = new DirectionStore(_root);
        string path = store.PathFor("../../etc/passwd", EditWord.Parse("jack-o'-lantern"), "h1");
        Assert.StartsWith(store.RootDirectory + Path.DirectorySeparatorChar, Path.GetFullPath(path));
        Assert.Equal(2, Path.GetRelativePath(store.RootDirectory, path).Split(Path.DirectorySeparatorChar).Length);
    }
}
