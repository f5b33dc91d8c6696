using System.IO.Compression;
using System.Text.Json;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Tests.Inversion;

namespace Pix2PixZero.Tests.Directions;

// Expected values: /usr/bin/python3 tests/fixtures/regularizer/generate.py (torch.load) → pt_expected.json
public class PtEmbeddingReaderTests
{
    private static readonly JsonElement Expected = JsonDocument
        .Parse(File.ReadAllText(RepoPaths.Regularizer("pt_expected.json")))
        .RootElement;

    private static string Embedding(string word) => RepoPaths.Embedding(word);

    [Theory]
    [InlineData("cat")]
    [InlineData("dog")]
    [InlineData("horse")]
    [InlineData("zebra")]
    public void Public_means_read_with_torch_shape_dtype_and_values(string word)
    {
        var expected = Expected.GetProperty("words").GetProperty(word);
        var tensor = PtEmbeddingReader.Read(Embedding(word));

        Assert.Equal([1, 77, 768], tensor.Shape);
        Assert.Equal(expected.GetProperty("dtype").GetString(), tensor.StorageDtype);
        Assert.Equal(59_136, tensor.Values.Length);
        var indexes = Expected.GetProperty("indexes").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        var values = expected.GetProperty("values").EnumerateArray().Select(e => (float)e.GetDouble()).ToArray();
        for (int k = 0; k < indexes.Length; k++)
            Assert.Equal(values[k], tensor.Values[indexes[k]]);
        Assert.Equal(expected.GetProperty("sum").GetDouble(), tensor.Values.Sum(v => (double)v), 1e-6);
        Assert.Equal(expected.GetProperty("sumAbs").GetDouble(), tensor.Values.Sum(v => Math.Abs((double)v)), 1e-6);
    }

    [Theory]
    [InlineData("cat", "dog", "dogMinusCat")]
    [InlineData("horse", "zebra", "zebraMinusHorse")]
    public void Direction_between_public_means_has_a_null_bos_row_and_non_zero_token_rows(
        string source,
        string target,
        string key
    )
    {
        // Row 0 is BOS, the same for every sentence. The public float16 means agree exactly; the float32 cat/dog means
        // differ there by a few ulps (3.8e-6), rounding in the public averaging, so the check is to that size.
        var expected = Expected.GetProperty(key);
        var direction = EditDirection.Between(
            PtEmbeddingReader.ReadWordMean(Embedding(source), EditWord.Parse(source), "sd-1.4"),
            PtEmbeddingReader.ReadWordMean(Embedding(target), EditWord.Parse(target), "sd-1.4")
        );
        var delta = direction.Values.ToArray();

        Assert.Equal((77, 768), (direction.Rows, direction.Width));
        float row0 = 0;
        foreach (var v in delta[..768])
            row0 = Math.Max(row0, Math.Abs(v));
        Assert.Equal((float)expected.GetProperty("row0MaxAbs").GetDouble(), row0);
        Assert.True(row0 <= 4e-6f);
        float smallestRowMax = Enumerable.Range(1, 76).Min(r => delta.AsSpan(r * 768, 768).ToArray().Max(Math.Abs));
        Assert.Equal((float)expected.GetProperty("minRowMaxAbsExcludingRow0").GetDouble(), smallestRowMax);
    }

    [Fact]
    public void Imported_mean_is_keyed_by_the_file_content()
    {
        var mean = PtEmbeddingReader.ReadWordMean(Embedding("cat"), EditWord.Parse("cat"), "sd-1.4");
        Assert.StartsWith("pt:", mean.SentenceSetHash);
        Assert.Equal(3 + 64, mean.SentenceSetHash.Length);
        Assert.Equal(0, mean.SentenceCount);
    }

    [Fact]
    public void A_file_that_is_not_a_zip_is_refused_with_advice()
    {
        string path = TempFile("not a zip"u8.ToArray());
        var error = Assert.Throws<InvalidInputException>(() => PtEmbeddingReader.Read(path));
        Assert.Contains("not a zip-format .pt file", error.Message);
    }

    [Fact]
    public void A_pickled_dict_is_refused_as_not_a_single_tensor()
    {
        string path = TempZip(("archive/data.pkl", [0x80, 0x02, (byte)'}', (byte)'q', 0, (byte)'.']));
        var error = Assert.Throws<InvalidInputException>(() => PtEmbeddingReader.Read(path));
        Assert.Contains("something other than a single tensor", error.Message);
    }

    [Fact]
    public void A_pickle_that_names_an_arbitrary_global_is_refused_by_name()
    {
        string path = TempZip(("archive/data.pkl", [0x80, 0x02, .. "cos\nsystem\n"u8, (byte)'.']));
        var error = Assert.Throws<InvalidInputException>(() => PtEmbeddingReader.Read(path));
        Assert.Contains("os.system", error.Message);
    }

    [Fact]
    public void A_storage_shorter_than_declared_is_refused()
    {
        using var original = ZipFile.OpenRead(Embedding("cat"));
        var pickle = ReadEntry(original, "object_cat/data.pkl");
        string path = TempZip(("object_cat/data.pkl", pickle), ("object_cat/data/0", new byte[100]));
        var error = Assert.Throws<InvalidInputException>(() => PtEmbeddingReader.Read(path));
        Assert.Contains("has 100 bytes", error.Message);
    }

    [Fact]
    public void Strided_views_are_gathered_in_logical_order()
    {
        // A [2, 3] transpose of storage 0..5 (strides (1, 2)), as torch.save writes a non-contiguous view.
        string path = TempZip(
            ("t/data.pkl", TensorPickle(6, offset: 0, [2, 3], [1, 2])),
            ("t/data/0", FloatBytes(0, 1, 2, 3, 4, 5))
        );
        var tensor = PtEmbeddingReader.Read(path);
        Assert.Equal([2, 3], tensor.Shape);
        Assert.Equal([0f, 2, 4, 1, 3, 5], tensor.Values);
    }

    [Fact]
    public void A_tensor_of_the_wrong_shape_is_not_a_word_mean()
    {
        string path = TempZip(
            ("t/data.pkl", TensorPickle(4, offset: 0, [4], [1])),
            ("t/data/0", FloatBytes(1, 2, 3, 4))
        );
        var error = Assert.Throws<InvalidInputException>(() =>
            PtEmbeddingReader.ReadWordMean(path, EditWord.Parse("cat"), "m")
        );
        Assert.Contains("[1, 77, d] or [77, d]", error.Message);
    }

    [Fact]
    public void A_view_reaching_past_its_storage_is_refused()
    {
        string path = TempZip(
            ("t/data.pkl", TensorPickle(4, offset: 2, [4], [1])),
            ("t/data/0", FloatBytes(1, 2, 3, 4))
        );
        Assert.Contains(
            "past its storage",
            Assert.Throws<InvalidInputException>(() => PtEmbeddingReader.Read(path)).Message
        );
    }

    /// <summary>The protocol-2 pickle torch.save writes for one FloatStorage-backed tensor.</summary>
    private static byte[] TensorPickle(int storageElements, int offset, int[] shape, int[] strides)
    {
        var p = new List<byte> { 0x80, 2 };
        void Text(string s)
        {
            p.Add((byte)'X');
            p.AddRange(BitConverter.GetBytes(s.Length));
            p.AddRange(System.Text.Encoding.UTF8.GetBytes(s));
        }
        void Int(int v)
        {
            p.Add((byte)'J');
            p.AddRange(BitConverter.GetBytes(v));
        }
        void Tuple(int[] items)
        {
            p.Add((byte)'(');
            foreach (var i in items)
                Int(i);
            p.Add((byte)'t');
        }
        p.AddRange("ctorch._utils\n_rebuild_tensor_v2\n"u8.ToArray());
        p.Add((byte)'(');
        p.Add((byte)'(');
        Text("storage");
        p.AddRange("ctorch\nFloatStorage\n"u8.ToArray());
        Text("0");
        Text("cpu");
        Int(storageElements);
        p.Add((byte)'t');
        p.Add((byte)'Q');
        Int(offset);
        Tuple(shape);
        Tuple(strides);
        p.Add(0x89);
        p.AddRange("ccollections\nOrderedDict\n"u8.ToArray());
        p.Add((byte)')');
        p.Add((byte)'R');
        p.Add((byte)'t');
        p.Add((byte)'R');
        p.Add((byte)'.');
        return [.. p];
    }

    private static byte[] FloatBytes(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    private static byte[] ReadEntry(ZipArchive archive, string name)
    {
        using var stream = archive.GetEntry(name)!.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string TempZip(params (string Name, byte[] Bytes)[] entries)
    {
        string path = Path.Combine(Path.GetTempPath(), $"p2pz-{Guid.NewGuid():N}.pt");
        using var archive = ZipFile.Open(path, ZipArchiveMode.Create);
        foreach (var (name, bytes) in entries)
        {
            using var stream = archive.CreateEntry(name, CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
        return path;
    }

    private static string TempFile(byte[] bytes)
    {
        string path = Path.Combine(Path.GetTempPath(), $"p2pz-{Guid.NewGuid():N}.pt");
        File.WriteAllBytes(path, bytes);
        return path;
    }
}
