using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Orchestrations;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// The stage names are a contract: the status API returns them, the web page and the README show them.
/// </summary>
public class EditStatusTests
{
    [Fact]
    public void A_request_goes_through_the_five_named_stages_in_order()
    {
        Assert.Equal(
            ["prepare", "caption and directions", "invert", "edit", "publish"],
            EditStatus.Stages.Select(s => s.Name)
        );
    }

    [Fact]
    public void Each_stage_is_its_step_of_five_and_a_complete_request_is_at_the_last_step()
    {
        Assert.Equal(new EditStatus("prepare", 1, 5), EditStatus.At(EditStage.Prepare));
        Assert.Equal(new EditStatus("caption and directions", 2, 5), EditStatus.At(EditStage.CaptionAndDirections));
        Assert.Equal(new EditStatus("invert", 3, 5), EditStatus.At(EditStage.Invert));
        Assert.Equal(new EditStatus("edit", 4, 5), EditStatus.At(EditStage.Edit));
        Assert.Equal(new EditStatus("publish", 5, 5), EditStatus.At(EditStage.Publish));
        Assert.Equal(new EditStatus("complete", 5, 5), EditStatus.At(EditStage.Complete));
    }

    [Fact]
    public void A_failed_request_names_the_stage_it_failed_in_and_stays_at_its_step()
    {
        Assert.Equal(new EditStatus("failed in invert", 3, 5), EditStatus.FailedIn(EditStage.Invert));
        Assert.Same(EditStage.Invert, EditStatus.FailedIn(EditStage.Invert).Current);
        Assert.Same(EditStage.CaptionAndDirections, EditStatus.At(EditStage.CaptionAndDirections).Current);
    }

    [Fact]
    public void A_stage_is_written_in_json_by_its_name_and_read_back_as_the_same_stage()
    {
        var json = System.Text.Json.JsonSerializer.Serialize(EditStage.CaptionAndDirections);

        Assert.Equal("\"caption and directions\"", json);
        Assert.Same(EditStage.CaptionAndDirections, System.Text.Json.JsonSerializer.Deserialize<EditStage>(json));
        Assert.Throws<System.Text.Json.JsonException>(() =>
            System.Text.Json.JsonSerializer.Deserialize<EditStage>("\"inverting\"")
        );
    }
}
