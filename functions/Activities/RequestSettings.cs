using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Activities;

/// <summary>
/// A request's validated choices: the tasks, the caption when given, the method's options, the built-in sentence count,
/// the sentence sets chosen for some words (word → hash of a set posted to <c>POST /api/directions</c>) and how to run;
/// the side of the square whose area the photo is processed at (the model's own when null) and whether the results
/// come back at the photo's own pixel size.
/// </summary>
public sealed record RequestSettings(
    IReadOnlyList<string> Tasks,
    string? Caption,
    MethodParameters Method,
    int Sentences,
    EditMode Mode,
    IReadOnlyDictionary<string, string> SentenceSets
)
{
    public int? Size { get; init; }

    public bool OriginalSize { get; init; }

    /// <summary>How the manifest describes the sentences the directions were averaged over.</summary>
    public string SentenceLabel =>
        new SentenceSource.BuiltIn(Sentences).Label
        + (
            SentenceSets.Count == 0
                ? ""
                : "; posted sets for " + string.Join(", ", SentenceSets.Select(s => $"{s.Key} ({s.Value})"))
        );
}
