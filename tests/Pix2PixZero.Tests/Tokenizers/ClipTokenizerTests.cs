using Pix2PixZero.Core.Tokenizers;

namespace Pix2PixZero.Tests.Tokenizers;

public class ClipTokenizerTests
{
    private static readonly Lazy<ClipBpeVocabulary> Vocabulary = new(() =>
        ClipBpeVocabulary.FromMergeListGzip(RepoPaths.ClipMergeList)
    );
    private static readonly Lazy<ClipTokenizer> Tokenizer = new(() => ClipTokenizer.FromVocabulary(Vocabulary.Value));

    private static int[] Ids(string text) => Tokenizer.Value.Encode(text);

    private static int[] Padded(params int[] ids) => ids.Concat(Enumerable.Repeat(49407, 77 - ids.Length)).ToArray();

    [Fact]
    public void The_real_vocabulary_has_49408_entries_with_bos_and_eos_last()
    {
        Assert.Equal(49408, Vocabulary.Value.Vocabulary.Count);
        Assert.Equal(49408, Tokenizer.Value.VocabularySize);
        Assert.Equal(49406, Tokenizer.Value.BosId);
        Assert.Equal(49407, Tokenizer.Value.EosId);
    }

    [Fact]
    public void A_photo_of_a_cat_gives_clips_ids_padded_with_eos() =>
        Assert.Equal(Padded(49406, 320, 1125, 539, 320, 2368, 49407), Ids("a photo of a cat"));

    [Fact]
    public void Case_and_surrounding_whitespace_do_not_change_the_ids() =>
        Assert.Equal(Ids("a photo of a cat"), Ids("  A   Photo\tof a\nCAT  "));

    [Fact]
    public void Every_sequence_has_77_ids_starting_with_bos_and_containing_eos()
    {
        foreach (var text in new[] { "", "dog", "2 cats and 13 dogs!", "naïve café 日本 😀" })
        {
            var ids = Ids(text);
            Assert.Equal(77, ids.Length);
            Assert.Equal(49406, ids[0]);
            Assert.Contains(49407, ids);
        }
        Assert.Equal(Padded(49406, 49407), Ids(""));
    }

    [Fact]
    public void Digits_are_split_one_per_token()
    {
        var tokens = Tokenizer.Value.Tokenize("2026");
        Assert.Equal(4, tokens.Count);
        Assert.Equal(Tokenizer.Value.Tokenize("2").Single(), tokens[0]);
    }

    [Fact]
    public void Long_text_is_truncated_to_76_tokens_and_keeps_a_final_eos()
    {
        var text = string.Join(' ', Enumerable.Repeat("cat", 200));
        var ids = Ids(text);
        Assert.Equal(77, ids.Length);
        Assert.Equal(49407, ids[76]);
        Assert.All(ids[1..76], id => Assert.Equal(2368, id));
    }

    [Fact]
    public void Non_ascii_text_round_trips_through_byte_level_bpe()
    {
        const string text = "naïve café 日本 😀";
        Assert.Equal("naïve café 日本 😀", Tokenizer.Value.Decode(Ids(text)));
    }

    [Fact]
    public void Html_entities_are_unescaped_like_clips_basic_clean() =>
        Assert.Equal(Ids("cats & dogs"), Ids("cats &amp; dogs"));

    [Fact]
    public void Hugging_face_files_written_from_the_merge_list_load_back_to_the_same_ids()
    {
        var dir = Directory.CreateTempSubdirectory("p2pz-tok-").FullName;
        try
        {
            Vocabulary.Value.WriteHuggingFaceFiles(dir);
            var fromFiles = ClipTokenizer.FromFiles(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"));
            foreach (var text in new[] { "a photo of a cat", "Hello, world!!", "it's the cat's toy" })
                Assert.Equal(Ids(text), fromFiles.Encode(text));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Missing_tokenizer_files_are_named_in_the_error()
    {
        var e = Assert.Throws<FileNotFoundException>(() =>
            ClipTokenizer.FromFiles("/nonexistent/vocab.json", "/nonexistent/merges.txt")
        );
        Assert.Contains("/nonexistent/vocab.json", e.Message);
    }
}

/// <summary>
/// Cases tokenized by the fixture generator's independent Python CLIP tokenizer (tests/fixtures/generate.py).
/// </summary>
public class ClipTokenizerPythonParityTests
{
    private static readonly Lazy<ClipTokenizer> Tokenizer = new(() =>
        ClipTokenizer.FromFiles(
            Path.Combine(RepoPaths.TinySd, "tokenizer", "vocab.json"),
            Path.Combine(RepoPaths.TinySd, "tokenizer", "merges.txt")
        )
    );

    public static TheoryData<string, int[]> Cases()
    {
        var data = new TheoryData<string, int[]>();
        using var doc = System.Text.Json.JsonDocument.Parse(
            File.ReadAllText(Path.Combine(RepoPaths.Goldens, "tokenizer_cases.json"))
        );
        var cases =
            doc.RootElement.ValueKind == System.Text.Json.JsonValueKind.Array
                ? doc.RootElement
                : doc.RootElement.GetProperty("cases");
        foreach (var c in cases.EnumerateArray())
            data.Add(
                c.GetProperty("text").GetString()!,
                c.GetProperty("ids").EnumerateArray().Select(i => i.GetInt32()).ToArray()
            );
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_match_the_python_reference(string text, int[] ids)
    {
        Assert.Equal(ids, Tokenizer.Value.Encode(text));
    }
}
