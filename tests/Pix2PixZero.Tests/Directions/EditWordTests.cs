using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public class EditWordTests
{
    [Theory]
    [InlineData("cat", "cat")]
    [InlineData("  Teddy Bear ", "teddy bear")]
    [InlineData("jack-o'-lantern", "jack-o'-lantern")]
    [InlineData("R2-D2", "r2-d2")]
    [InlineData("Éléphant", "éléphant")]
    public void Words_are_trimmed_and_lower_cased(string text, string expected)
    {
        Assert.Equal(expected, EditWord.Parse(text).Value);
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("   ", "empty")]
    [InlineData(null, "empty")]
    [InlineData("cat!", "contains '!'")]
    [InlineData("cat\tdog", "contains '\t'")]
    [InlineData("a/b", "contains '/'")]
    [InlineData("--'", "no letter or digit")]
    [InlineData("abcdefghijabcdefghijabcdefghijabcdefghijx", "at most 40")]
    public void Invalid_words_are_refused_naming_the_word_and_the_rule(string? text, string rule)
    {
        var error = Assert.Throws<InvalidInputException>(() => EditWord.Parse(text));
        Assert.Contains(rule, error.Message);
        if (!string.IsNullOrWhiteSpace(text))
            Assert.Contains(text.Trim().ToLowerInvariant(), error.Message);
    }

    [Fact]
    public void Words_that_differ_only_in_case_are_equal()
    {
        Assert.Equal(EditWord.Parse("Cat"), EditWord.Parse("cat "));
    }
}
