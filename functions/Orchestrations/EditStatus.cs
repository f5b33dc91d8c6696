namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>
/// An edit orchestration's custom status: the stage it is in, as step <see cref="Step"/> of <see cref="Steps"/>. A
/// complete request is at its last step, never past it.
/// </summary>
public sealed record EditStatus(string Stage, int Step, int Steps)
{
    public const string Complete = "complete";

    /// <summary>The stages a request goes through, in order.</summary>
    public static readonly IReadOnlyList<string> Stages = ["prepare", "caption and directions", "invert", "edit", "publish"];

    public static EditStatus At(string stage) =>
        new(stage, stage == Complete ? Stages.Count : Stages.ToList().IndexOf(stage) + 1, Stages.Count);
}
