namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Δ = multiplier · (mean(target) − mean(source)), [77, d] row-major (DESIGN.md §1.3). The edit pass adds it, all
/// rows, to the positive prompt's embedding: c_edit = c + Δ.
/// </summary>
public sealed class EditDirection
{
    public const float MaxAbsMultiplier = 10f;

    private EditDirection(
        EditWord source,
        EditWord target,
        string modelId,
        int rows,
        int width,
        float multiplier,
        float[] values
    )
    {
        (Source, Target, ModelId, Rows, Width, Multiplier, Values) = (
            source,
            target,
            modelId,
            rows,
            width,
            multiplier,
            values
        );
    }

    public EditWord Source { get; }
    public EditWord Target { get; }
    public string ModelId { get; }
    public int Rows { get; }
    public int Width { get; }
    public float Multiplier { get; }

    /// <summary>Δ, already scaled by <see cref="Multiplier"/>.</summary>
    public ReadOnlyMemory<float> Values { get; }

    public static EditDirection Between(WordMean source, WordMean target, float multiplier = 1f)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (!float.IsFinite(multiplier) || Math.Abs(multiplier) > MaxAbsMultiplier)
            throw new InvalidOptionException(
                "edit multiplier",
                multiplier,
                $"use a finite number in −{MaxAbsMultiplier}..{MaxAbsMultiplier} (default 1)"
            );
        if (source.ModelId != target.ModelId)
            throw new InvalidInputException(
                $"The means of \"{source.Word}\" and \"{target.Word}\" come from different text "
                    + $"encoders ({source.ModelId} vs {target.ModelId}); compute both with the same model."
            );
        if (source.Rows != target.Rows || source.Width != target.Width)
            throw new InvalidInputException(
                $"The means of \"{source.Word}\" [{source.Rows}, {source.Width}] and "
                    + $"\"{target.Word}\" [{target.Rows}, {target.Width}] differ in shape."
            );

        var delta = new float[source.Values.Length];
        for (int i = 0; i < delta.Length; i++)
            delta[i] = (target.Values[i] - source.Values[i]) * multiplier;
        return new EditDirection(
            source.Word,
            target.Word,
            source.ModelId,
            source.Rows,
            source.Width,
            multiplier,
            delta
        );
    }

    /// <summary>c += scale·Δ over all rows, for a prompt embedding of the same [rows, d] shape.</summary>
    public void AddTo(Span<float> promptEmbedding, float scale = 1f)
    {
        var delta = Values.Span;
        if (promptEmbedding.Length != delta.Length)
            throw new ArgumentException(
                $"The prompt embedding has {promptEmbedding.Length} values; "
                    + $"the direction is [{Rows}, {Width}] = {delta.Length}.",
                nameof(promptEmbedding)
            );
        for (int i = 0; i < delta.Length; i++)
            promptEmbedding[i] += scale * delta[i];
    }
}
