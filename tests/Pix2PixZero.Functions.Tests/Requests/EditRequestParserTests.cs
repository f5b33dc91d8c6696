using Pix2PixZero.Core;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Requests;

public sealed class EditRequestParserTests
{
    [Fact]
    public void Options_read_from_text_keep_the_method_defaults_for_whatever_is_not_given()
    {
        var settings = EditRequestParser.Parse(
            new Dictionary<string, string>
            {
                ["Tasks"] = "dog2cat; cat2dog",
                ["XA"] = "0.2",
                ["mode"] = "FanOut",
            },
            ["cat2dog"]
        );

        Assert.Equal(["cat2dog", "dog2cat"], settings.Tasks);
        Assert.Equal(
            (50, 5f, 0.2f, 1000),
            (
                settings.Method.Steps,
                settings.Method.GuidanceScale,
                settings.Method.CrossAttentionGuidance!.Value,
                settings.Sentences
            )
        );
        Assert.Equal(EditMode.FanOut, settings.Mode);
        Assert.Null(settings.Caption);
    }

    [Theory]
    [InlineData("steps", "many", "steps = many is not accepted: use a whole number")]
    [InlineData("steps", "2000", "use 2..999")]
    [InlineData("seed", "-1", "seed = -1 is not accepted")]
    [InlineData("xa", "11", "use 0..10")]
    [InlineData("convention", "sideways", "use Aligned or Official (default Aligned)")]
    [InlineData("mode", "parallel", "use batched (default) or fanout")]
    [InlineData("sentences", "0", "use 1..20000")]
    [InlineData("tasks", "cat2dog,cat2cat", "edits \"cat\" into itself")]
    [InlineData("size", "500", "size = 500 is not accepted: use a multiple of 64 from 64 to 2048")]
    [InlineData("size", "big", "size = big is not accepted: use a whole number")]
    [InlineData("original_size", "yes", "original_size = yes is not accepted: use true or false")]
    public void A_bad_value_is_refused_with_the_option_the_value_and_the_accepted_range(
        string name,
        string value,
        string expected
    )
    {
        var error = Assert.ThrowsAny<Pix2PixZeroException>(() =>
            EditRequestParser.Parse(new Dictionary<string, string> { ["tasks"] = "cat2dog", [name] = value })
        );

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_method_s_fields_are_named_and_described_by_the_table()
    {
        Assert.All(MethodParameters.Table.All, h => Assert.Equal(h.Description, EditRequestParser.Accepted[h.Field]));
    }

    [Fact]
    public void Each_method_field_is_read_into_its_parameter()
    {
        var settings = EditRequestParser.Parse(
            new Dictionary<string, string>
            {
                ["tasks"] = "cat2dog",
                ["multiplier"] = "-0.5",
                ["xa"] = "0.3",
                ["steps"] = "7",
                ["guidance"] = "7.5",
                ["seed"] = "18446744073709551615",
                ["convention"] = "official",
                ["negative"] = "blurry",
            }
        );

        Assert.Equal(
            new MethodParameters
            {
                EditMultiplier = -0.5f,
                CrossAttentionGuidance = 0.3f,
                Steps = 7,
                GuidanceScale = 7.5f,
                Seed = ulong.MaxValue,
                Convention = InversionConvention.Official,
                NegativePrompt = "blurry",
            },
            settings.Method
        );
    }

    [Fact]
    public void A_method_field_out_of_range_is_refused_with_the_table_s_words_under_the_field_name()
    {
        var refused = 0;
        foreach (var h in MethodParameters.Table.All)
        {
            if (OutOfRange.Of(h, h.Field) is not var (text, refusal))
                continue;
            var e = Assert.Throws<InvalidOptionException>(() =>
                EditRequestParser.Parse(new Dictionary<string, string> { ["tasks"] = "cat2dog", [h.Field] = text })
            );
            Assert.Equal((refusal, h.Field), (e.Message, e.Option));
            refused++;
        }

        Assert.Equal(MethodParameters.Table.All.Count - 1, refused); // all but the seed, which has no upper bound
    }

    [Fact]
    public void The_size_and_the_original_size_flag_are_read_and_default_to_the_models_size_and_the_processing_size()
    {
        var asked = EditRequestParser.Parse(
            new Dictionary<string, string>
            {
                ["tasks"] = "cat2dog",
                ["size"] = "768",
                ["original_size"] = "True",
            }
        );
        var plain = EditRequestParser.Parse(new Dictionary<string, string> { ["tasks"] = "cat2dog" });

        Assert.Equal((768, true), (asked.Size, asked.OriginalSize));
        Assert.Equal((null, false), (plain.Size, plain.OriginalSize));
    }

    [Fact]
    public void A_request_without_any_task_says_how_to_name_one()
    {
        var error = Assert.Throws<InvalidOptionException>(() =>
            EditRequestParser.Parse(new Dictionary<string, string>())
        );

        Assert.Contains("upload into edit-requests/cat2dog/", error.Message);
    }

    [Fact]
    public void Inbox_instance_ids_depend_on_container_name_and_version_and_hold_no_slash()
    {
        var id = InboxSubmission.InstanceIdFor("edit-requests", "cat2dog/a.png", "\"0x1\"");

        Assert.Equal(id, InboxSubmission.InstanceIdFor("edit-requests", "cat2dog/a.png", "\"0x1\""));
        Assert.NotEqual(id, InboxSubmission.InstanceIdFor("edit-requests", "cat2dog/a.png", "\"0x2\""));
        Assert.NotEqual(id, InboxSubmission.InstanceIdFor("edit-requests", "cat2dog/b.png", "\"0x1\""));
        Assert.Matches("^blob-[0-9a-f]{40}$", id);
    }
}
