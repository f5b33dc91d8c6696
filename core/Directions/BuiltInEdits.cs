namespace Pix2PixZero.Core.Directions;

/// <summary>
/// The edits offered ready-made (the web page lists them through <c>GET /api/directions</c>): the paper's word pairs,
/// whose per-word means for SD 1.4 the public code ships precomputed (cat, dog, horse, zebra). Any other pair of
/// words works too; its means are computed on first use.
/// </summary>
public static class BuiltInEdits
{
    public static IReadOnlyList<EditTask> Tasks { get; } =
        new[] { "cat2dog", "dog2cat", "horse2zebra", "zebra2horse" }.Select(EditTask.Parse).ToArray();
}
