using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public class SentenceGeneratorTests
{
    [Theory]
    [InlineData("cat")]
    [InlineData("teddy bear")]
    [InlineData("owl")]
    public void Thousand_distinct_sentences_each_contain_the_word(string text)
    {
        var word = EditWord.Parse(text);
        var sentences = SentenceGenerator.Generate(word);

        Assert.Equal(1000, sentences.Count);
        Assert.Equal(sentences.Count, sentences.Distinct().Count());
        Assert.All(sentences, s => Assert.Contains(text, s));
        Assert.All(sentences, s => Assert.True(char.IsUpper(s[0]) && s.EndsWith('.'), s));
    }

    [Fact]
    public void Sentences_are_varied_across_templates()
    {
        var sentences = SentenceGenerator.Generate(EditWord.Parse("dog"));
        Assert.True(sentences.Select(s => s.Split(' ')[0]).Distinct().Count() >= 4);
        Assert.True(sentences.Select(s => s.Split(' ').Length).Distinct().Count() >= 6);
    }

    [Fact]
    public void Generation_is_deterministic_per_word_and_differs_between_words()
    {
        var cat = SentenceGenerator.Generate(EditWord.Parse("cat"));
        Assert.Equal(cat, SentenceGenerator.Generate(EditWord.Parse("Cat")));
        var dog = SentenceGenerator.Generate(EditWord.Parse("dog"));
        Assert.Equal(1000, dog.Count);
        Assert.Empty(cat.Intersect(dog));
        Assert.NotEqual(cat.Select(s => s.Replace("cat", "dog")), dog);
    }

    [Fact]
    public void Large_counts_stay_distinct()
    {
        var sentences = SentenceGenerator.Generate(EditWord.Parse("horse"), 10_000);
        Assert.Equal(10_000, sentences.Distinct().Count());
    }

    [Fact]
    public void Articles_follow_the_sound_of_the_next_word()
    {
        foreach (var text in new[] { "owl", "unicorn", "hour glass", "elephant", "cat" })
        {
            foreach (var sentence in SentenceGenerator.Generate(EditWord.Parse(text), 300))
            {
                string lower = " " + sentence.ToLowerInvariant();
                Assert.DoesNotMatch(
                    @" a (old|elegant|ancient|unusual|orange|enormous|iconic|"
                        + "interesting|ordinary|owl|elephant|oil|artistic|empty) ",
                    lower
                );
                Assert.DoesNotMatch(@" an (small|large|cat|cute|unicorn|photo|vintage|3d) ", lower);
            }
        }
        Assert.Equal("an owl", SentenceGenerator.WithArticle("owl"));
        Assert.Equal("a unicorn", SentenceGenerator.WithArticle("unicorn"));
        Assert.Equal("an hour glass", SentenceGenerator.WithArticle("hour glass"));
        Assert.Equal("a european car", SentenceGenerator.WithArticle("european car"));
        Assert.Equal("an 8-bit robot", SentenceGenerator.WithArticle("8-bit robot"));
        Assert.Equal("a 100 dollar bill", SentenceGenerator.WithArticle("100 dollar bill"));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SentenceGenerator.MaxCount + 1)]
    public void Counts_outside_the_range_are_refused(int count)
    {
        var error = Assert.Throws<InvalidOptionException>(() =>
            SentenceGenerator.Generate(EditWord.Parse("cat"), count)
        );
        Assert.Equal("sentence count", error.Option);
    }
}
