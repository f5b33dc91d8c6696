namespace Pix2PixZero.Core.Directions;

/// <summary>
/// An edit named by its words: <c>cat2dog</c> (source "2" target) or, when a word holds a "2" itself,
/// <c>cat:dog</c>. Both words are validated as <see cref="EditWord"/>s.
/// </summary>
public readonly record struct EditTask(EditWord Source, EditWord Target)
{
    /// <summary>
    /// The task's one name, which parses back to it: <c>source2target</c>, or <c>source:target</c> when a word holds
    /// a "2" (<c>r2d2:robot</c>). Two different tasks never share a name, so result files and blobs named after it
    /// never collide (<c>a2:b</c> and <c>a:2b</c> would both be "a22b" written the short way).
    /// </summary>
    public string Name =>
        Source.Value.Contains('2') || Target.Value.Contains('2')
            ? $"{Source.Value}:{Target.Value}"
            : $"{Source.Value}2{Target.Value}";

    public override string ToString() => Name;

    public static EditTask Parse(string? text)
    {
        var task = (text ?? "").Trim();
        var colon = task.Split(':');
        if (colon.Length == 2)
            return Create(colon[0], colon[1], task);
        var twos = Enumerable.Range(0, task.Length).Where(i => task[i] == '2').ToArray();
        if (twos.Length == 1)
            return Create(task[..twos[0]], task[(twos[0] + 1)..], task);
        throw new InvalidInputException(
            twos.Length == 0
                ? $"the task \"{InputText.Shorten(task)}\" names no edit; "
                    + "write it as source2target (e.g. cat2dog) or source:target"
                : $"the task \"{InputText.Shorten(task)}\" has more than "
                    + "one '2'; write it as source:target (e.g. r2d2:robot)"
        );
    }

    /// <summary>Parses several tasks; one named twice (in either form) counts once, in the order first given.</summary>
    public static List<EditTask> ParseDistinct(IEnumerable<string?> texts) => texts.Select(Parse).Distinct().ToList();

    private static EditTask Create(string source, string target, string task)
    {
        var s = EditWord.Parse(source);
        var t = EditWord.Parse(target);
        if (s == t)
            throw new InvalidInputException(
                $"the task \"{InputText.Shorten(task)}\" edits \"{s.Value}\" into itself; name two different words"
            );
        return new EditTask(s, t);
    }
}
