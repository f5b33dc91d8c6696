using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public class SentenceSourceTests
{
    private static readonly EditWord Cat = EditWord.Parse("cat");

    [Fact]
    public void User_file_yields_trimmed_non_blank_lines_in_order()
    {
        string path = Write("A cat on a mat.\n\n   \r\n  A photo of a cat.  \nsomething without the word\n");
        var set = new SentenceSource.UserFile(path).LoadSentences(Cat);
        Assert.Equal(["A cat on a mat.", "A photo of a cat.", "something without the word"], set.Sentences);
    }

    [Fact]
    public void Cleaning_trims_drops_blanks_and_numbers_each_sentence_by_its_line()
    {
        string?[] lines = ["  A cat. ", "", null, "\t", "The cat."];
        Assert.Equal([(1, "A cat."), (5, "The cat.")], SentenceSource.UserFile.Clean(lines));
    }

    [Fact]
    public void Cleaned_sentences_written_one_a_line_read_back_as_the_same_set()
    {
        string[] posted = ["  A cat on a mat. ", "   ", "A photo of a cat.\t"];
        var cleaned = new SentenceSet(SentenceSource.UserFile.Clean(posted).Select(s => s.Sentence).ToList());

        var read = new SentenceSource.UserFile(Write(string.Join('\n', cleaned.Sentences))).LoadSentences(Cat);

        Assert.Equal(cleaned.Hash, read.Hash);
    }

    [Fact]
    public void Empty_user_file_is_refused()
    {
        string path = Write("\n  \n");
        Assert.Contains(
            "has no sentences",
            Assert.Throws<InvalidInputException>(() => new SentenceSource.UserFile(path).LoadSentences(Cat)).Message
        );
    }

    [Fact]
    public void Over_long_line_is_refused_with_its_line_number()
    {
        string path = Write("fine\n\n" + new string('x', SentenceSource.UserFile.MaxSentenceLength + 1) + "\n");
        var error = Assert.Throws<InvalidInputException>(() => new SentenceSource.UserFile(path).LoadSentences(Cat));
        Assert.Contains("line 3", error.Message);
    }

    [Fact]
    public void Too_many_sentences_are_refused()
    {
        string path = Write(
            string.Join('\n', Enumerable.Range(0, SentenceSource.UserFile.MaxSentences + 1).Select(i => $"s{i}"))
        );
        Assert.Contains(
            "more than",
            Assert.Throws<InvalidInputException>(() => new SentenceSource.UserFile(path).LoadSentences(Cat)).Message
        );
    }

    [Fact]
    public void Missing_user_file_is_reported_by_path()
    {
        var error = Assert.Throws<InvalidInputException>(() =>
            new SentenceSource.UserFile("/nonexistent/s.txt").LoadSentences(Cat)
        );
        Assert.Contains("/nonexistent/s.txt", error.Message);
    }

    [Fact]
    public void Built_in_source_uses_the_generator()
    {
        var set = new SentenceSource.BuiltIn(50).LoadSentences(Cat);
        Assert.Equal(SentenceGenerator.Generate(Cat, 50), set.Sentences);
    }

    [Fact]
    public void Sentence_set_hash_is_sha256_of_the_newline_joined_sentences()
    {
        var set = new SentenceSet(["a cat", "the cat"]);
        Assert.Equal(
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("a cat\nthe cat"u8)),
            set.Hash
        );
        Assert.NotEqual(set.Hash, new SentenceSet(["the cat", "a cat"]).Hash);
    }

    private static string Write(string text)
    {
        string path = Path.Combine(Path.GetTempPath(), $"p2pz-sentences-{Guid.NewGuid():N}.txt");
        File.WriteAllText(path, text);
        return path;
    }
}
