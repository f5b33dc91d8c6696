namespace Pix2PixZero.Core.Pipeline;

/// <summary>Where a long run is: a stage name ("invert", "edit", …) and its step out of the total.</summary>
public sealed record PipelineProgress(string Stage, int Step, int TotalSteps);
