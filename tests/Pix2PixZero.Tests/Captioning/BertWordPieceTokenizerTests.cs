using Pix2PixZero.Core.Captioning;

namespace Pix2PixZero.Tests.Captioning;

/// <summary>The C# tokenizer against the Python reference's cases in tests/fixtures/blip/goldens/index.json.</summary>
public sealed class BertWordPieceTokenizerTests
{
    private static readonly BertWordPieceTokenizer Tokenizer = BertWordPieceTokenizer.Load(
        Path.Combine(BlipGoldens.Captioner("tiny-sd"), BlipCaptioner.VocabFile)
    );

    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var c in BlipGoldens.Index.GetProperty("tokenizer_cases").EnumerateArray())
            data.Add(c.GetProperty("text").GetString()!);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encodes_and_decodes_like_the_reference(string text)
    {
        var reference = BlipGoldens
            .Index.GetProperty("tokenizer_cases")
            .EnumerateArray()
            .First(c => c.GetProperty("text").GetString() == text);
        var expectedIds = reference.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
        var ids = Tokenizer.Encode(text);
        Assert.Equal(expectedIds, ids);
        Assert.Equal(reference.GetProperty("decoded").GetString(), Tokenizer.Decode(ids));
    }

    [Fact]
    public void The_blip_prompt_has_bert_base_uncased_ids()
    {
        Assert.Equal([1037L, 3861, 1997], Tokenizer.Encode("a picture of "));
        Assert.Equal(30524, Tokenizer.VocabularySize);
        Assert.Equal("[DEC]", Tokenizer.Token(30522));
    }

    [Fact]
    public void Decoding_skips_special_tokens_glues_pieces_and_cleans_spaces()
    {
        var cat = Tokenizer.TokenId("cat")!.Value;
        var s = Tokenizer.TokenId("##s")!.Value;
        var comma = Tokenizer.TokenId(",")!.Value;
        Assert.Equal(
            "cats, cat.",
            Tokenizer.Decode([30522, cat, s, comma, cat, Tokenizer.TokenId(".")!.Value, 102, 0])
        );
    }
}
