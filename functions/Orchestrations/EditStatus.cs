namespace Pix2PixZero.Functions.Orchestrations;

/// <summary>An edit orchestration's custom status: the stage it is in, as step <see cref="Step"/> of <see cref="Steps"/>.</summary>
public sealed record EditStatus(string Stage, int Step, int Steps)
{
    public static readonly IReadOnlyList<string> Stages = ["prepare", "caption and directions", "invert", "edit", "publish", "complete"];

    public static EditStatus At(string stage) => new(stage, Stages.ToList().IndexOf(stage) + 1, Stages.Count - 1);
}
