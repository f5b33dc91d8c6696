using Pix2PixZero.Core.Editing;
using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Stops a run at the first NaN or ±∞ in a latent or a decoded image. Corrupt weights (a bit-flipped
/// <c>weights.pb</c>) or fp16 overflow otherwise run to the end and write an all-black picture with success. One scan
/// of a latent per step costs nothing next to the UNet call that made it.
/// </summary>
public static class NonFiniteCheck
{
    /// <summary>
    /// Throws <see cref="NonFiniteValueException"/> naming the stage (and step) when a value is not finite.
    /// </summary>
    public static void Values(ReadOnlySpan<float> values, string stage, string? step = null)
    {
        var bad = IndexOfNonFinite(values);
        if (bad < 0)
            return;
        var where = step is null ? stage : $"{stage} {step}";
        throw new NonFiniteValueException(
            stage,
            $"the {where} produced {Describe(values[bad])} (at element {bad:N0} "
                + $"of {values.Length:N0}): the model's weights are likely corrupt "
                + "(copy or pull the model folder again and compare its checksums) "
                + "or overflow in their precision (fp16 exports: use an fp32 one)"
        );
    }

    /// <summary>Checks each inversion step's latent.</summary>
    public static void InversionStep(InversionStepRecord step) =>
        Values(step.Latent, EditStage.Invert.Name, Step(step.Index, step.Step.Timestep));

    /// <summary>Checks the reference latent and every edited latent of one lockstep step.</summary>
    public static void EditStep(EditStepRecord step)
    {
        Values(step.ReferenceLatent, "reference pass", Step(step.Index, step.Timestep));
        foreach (var edit in step.Edits)
            Values(edit.Latent, EditStage.Edit.Name, Step(step.Index, step.Timestep));
    }

    private static string Step(int index, int timestep) => $"step {index + 1} (timestep {timestep})";

    private static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        for (var i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i]))
                return i;
        return -1;
    }

    private static string Describe(float value) =>
        float.IsNaN(value) ? "NaN (not a number)"
        : value > 0 ? "+∞"
        : "−∞";
}
