using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public class EditDirectionTests
{
    private static WordMean Mean(string word, float[] values, string model = "m", int rows = 2) =>
        new(model, EditWord.Parse(word), rows, values.Length / rows, values, 10, "h");

    [Fact]
    public void Direction_is_target_minus_source_times_multiplier()
    {
        var direction = EditDirection.Between(Mean("cat", [1, 2, 3, 4]), Mean("dog", [1, 5, 0, 8]), multiplier: 0.5f);
        Assert.Equal([0f, 1.5f, -1.5f, 2f], direction.Values.ToArray());
        Assert.Equal(
            (EditWord.Parse("cat"), EditWord.Parse("dog"), 0.5f),
            (direction.Source, direction.Target, direction.Multiplier)
        );
    }

    [Fact]
    public void Adding_the_direction_edits_every_row_of_the_prompt()
    {
        var direction = EditDirection.Between(Mean("cat", [1, 2, 3, 4]), Mean("dog", [2, 2, 5, 4]));
        float[] prompt = [10, 10, 10, 10];
        direction.AddTo(prompt);
        Assert.Equal([11f, 10, 12, 10], prompt);
        Assert.Throws<ArgumentException>(() => direction.AddTo(new float[3]));
    }

    [Fact]
    public void Means_from_different_models_or_shapes_are_refused()
    {
        Assert.Contains(
            "different text encoders",
            Assert
                .Throws<InvalidInputException>(() =>
                    EditDirection.Between(Mean("cat", [1, 2], "a"), Mean("dog", [1, 2], "b"))
                )
                .Message
        );
        Assert.Contains(
            "differ in shape",
            Assert
                .Throws<InvalidInputException>(() =>
                    EditDirection.Between(Mean("cat", [1, 2, 3, 4]), Mean("dog", [1, 2, 3, 4], rows: 4))
                )
                .Message
        );
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(11f)]
    public void Multiplier_outside_the_range_is_refused(float multiplier)
    {
        var error = Assert.Throws<InvalidOptionException>(() =>
            EditDirection.Between(Mean("cat", [1, 2]), Mean("dog", [1, 2]), multiplier)
        );
        Assert.Equal("edit multiplier", error.Option);
    }
}
