using Pix2PixZero.Core;
using Pix2PixZero.Core.Directions;

namespace Pix2PixZero.Tests.Directions;

public class EditTaskTests
{
    [Theory]
    [InlineData("cat2dog", "cat2dog")]
    [InlineData("cat:dog", "cat2dog")]
    [InlineData("r2d2:robot", "r2d2:robot")]
    [InlineData("cat:2pac", "cat:2pac")]
    [InlineData(" Teddy Bear : Panda ", "teddy bear2panda")]
    public void A_task_is_named_one_way_and_the_name_parses_back_to_it(string text, string name)
    {
        var task = EditTask.Parse(text);
        Assert.Equal(name, task.Name);
        Assert.Equal(task, EditTask.Parse(task.Name));
    }

    [Fact]
    public void Tasks_whose_short_names_would_collide_get_different_names()
    {
        var first = EditTask.Parse("a2:b");
        var second = EditTask.Parse("a:2b");

        Assert.NotEqual(first, second);
        Assert.NotEqual(first.Name, second.Name);
    }

    [Fact]
    public void A_task_given_twice_in_either_form_counts_once()
    {
        Assert.Equal(
            ["cat2dog", "dog2cat"],
            EditTask.ParseDistinct(["cat2dog", "dog2cat", "cat:dog"]).Select(t => t.Name)
        );
    }

    [Fact]
    public void A_long_task_is_quoted_by_its_start_and_length()
    {
        var error = Assert.Throws<InvalidInputException>(() => EditTask.Parse(new string('x', 10_000)));
        Assert.Contains("… (10,000 characters)", error.Message);
        Assert.True(error.Message.Length < 200, error.Message);
    }
}
