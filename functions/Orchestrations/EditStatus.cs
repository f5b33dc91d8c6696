using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>
/// An edit orchestration's custom status: the stage it is in (its <see cref="EditStage.Name"/>), as step
/// <see cref="Step"/> of <see cref="Steps"/>. A complete request is at its last step, never past it.
/// </summary>
public sealed record EditStatus(string Stage, int Step, int Steps)
{
    private const string FailedPrefix = "failed in ";

    /// <summary>
    /// The stages a request goes through, in order: what the orchestrator reports and the web page shows.
    /// </summary>
    public static readonly IReadOnlyList<EditStage> Stages =
    [
        EditStage.Prepare,
        EditStage.CaptionAndDirections,
        EditStage.Invert,
        EditStage.Edit,
        EditStage.Publish,
    ];

    /// <summary>The stage the request is in, or failed in.</summary>
    public EditStage Current => EditStage.Parse(Stage.StartsWith(FailedPrefix) ? Stage[FailedPrefix.Length..] : Stage);

    public static EditStatus At(EditStage stage) =>
        new(stage.Name, stage == EditStage.Complete ? Stages.Count : Stages.ToList().IndexOf(stage) + 1, Stages.Count);

    /// <summary>The status of a request that failed in <paramref name="stage"/>: still at that stage's step.</summary>
    public static EditStatus FailedIn(EditStage stage) => At(stage) with { Stage = FailedPrefix + stage.Name };
}
