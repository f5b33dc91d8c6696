namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>
/// An edit orchestration's custom status: the stage it is in, as step <see cref="Step"/> of <see cref="Steps"/>. A
/// complete request is at its last step, never past it.
/// </summary>
public sealed record EditStatus(string Stage, int Step, int Steps)
{
    public const string Prepare = "prepare";
    public const string CaptionAndDirections = "caption and directions";
    public const string Invert = "invert";
    public const string Edit = "edit";
    public const string Publish = "publish";
    public const string Complete = "complete";

    /// <summary>
    /// The stages a request goes through, in order: what the orchestrator reports and the web page shows.
    /// </summary>
    public static readonly IReadOnlyList<string> Stages = [Prepare, CaptionAndDirections, Invert, Edit, Publish];

    public static EditStatus At(string stage) =>
        new(stage, stage == Complete ? Stages.Count : Stages.ToList().IndexOf(stage) + 1, Stages.Count);

    /// <summary>The status of a request that failed in <paramref name="stage"/>: still at that stage's step.</summary>
    public static EditStatus FailedIn(string stage) => At(stage) with { Stage = $"failed in {stage}" };
}
