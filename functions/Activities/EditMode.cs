namespace Pix2PixZero.Functions.Activities;

/// <summary>How the edit stage runs several tasks of one image.</summary>
public enum EditMode
{
    /// <summary>One activity for all tasks: they share one reference pass (fewer UNet calls, one GPU).</summary>
    Batched,

    /// <summary>One activity per task, in parallel: spreads over workers, each repeating the reference pass.</summary>
    FanOut,
}
