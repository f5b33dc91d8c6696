namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// Caption generation settings. Defaults are DESIGN.md §1.2 step 2 (pix2pix-zero's BLIP call): prompt
/// "a picture of ", 3 beams, min length 10 and max length 30 tokens counting the prompt ([DEC] + prompt tokens),
/// length penalty 1. Greedy decoding (1 beam) is not offered: transformers' beam scorer needs at least 2 beams.
/// </summary>
public sealed record BlipCaptionerOptions
{
    public const int MaxBeams = 16;

    /// <summary>The text decoder's position table bounds every sequence (BERT-base: 512 positions).</summary>
    public const int MaxTokens = 512;

    public const int MaxPromptChars = 200;

    public static BlipCaptionerOptions Default { get; } = new();

    /// <summary>Decoder prompt; its text is removed from the start of the caption.</summary>
    public string Prompt { get; init; } = "a picture of ";

    public int NumBeams { get; init; } = 3;

    /// <summary>Shortest sequence, prompt included, before [SEP] may end it.</summary>
    public int MinLength { get; init; } = 10;

    /// <summary>Longest sequence, prompt included.</summary>
    public int MaxLength { get; init; } = 30;

    /// <summary>Finished hypotheses score sum_logprobs / length^LengthPenalty.</summary>
    public double LengthPenalty { get; init; } = 1.0;

    public BlipCaptionerOptions Validate()
    {
        if (Prompt is null || Prompt.Length > MaxPromptChars)
            throw new ArgumentOutOfRangeException(
                nameof(Prompt),
                Prompt?.Length,
                $"{nameof(Prompt)} must be a text of at most {MaxPromptChars} "
                    + "characters (default \"a picture of \"; \"\" for none)."
            );
        if (NumBeams is < 2 or > MaxBeams)
            throw new ArgumentOutOfRangeException(
                nameof(NumBeams),
                NumBeams,
                $"{nameof(NumBeams)} must be between 2 and {MaxBeams} (default 3); got {NumBeams}."
            );
        if (MaxLength is < 2 or > MaxTokens)
            throw new ArgumentOutOfRangeException(
                nameof(MaxLength),
                MaxLength,
                $"{nameof(MaxLength)} must be between 2 and {MaxTokens} "
                    + $"tokens, prompt included (default 30); got {MaxLength}."
            );
        if (MinLength < 0 || MinLength > MaxLength)
            throw new ArgumentOutOfRangeException(
                nameof(MinLength),
                MinLength,
                $"{nameof(MinLength)} must be between 0 and {nameof(MaxLength)} "
                    + $"({MaxLength}) (default 10); got {MinLength}."
            );
        if (!double.IsFinite(LengthPenalty) || Math.Abs(LengthPenalty) > 10)
            throw new ArgumentOutOfRangeException(
                nameof(LengthPenalty),
                LengthPenalty,
                $"{nameof(LengthPenalty)} must be a finite number between -10 and 10 (default 1); got {LengthPenalty}."
            );
        return this;
    }
}
