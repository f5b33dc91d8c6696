namespace Pix2PixZero.Core.Directions;

/// <summary>
/// An edit named by its words: <c>cat2dog</c> (source "2" target) or, when a word holds a "2" itself,
/// <c>cat:dog</c>. Both words are validated as <see cref="EditWord"/>s.
/// </summary>
public readonly record struct EditTask(EditWord Source, EditWord Target)
{
    public string Name => $"{Source.Value}2{Target.Value}";

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
        throw new InvalidInputException(twos.Length == 0
            ? $"the task \"{task}\" names no edit; write it as source2target (e.g. cat2dog) or source:target"
            : $"the task \"{task}\" has more than one '2'; write it as source:target (e.g. r2d2:robot)");
    }

    private static EditTask Create(string source, string target, string task)
    {
        var s = EditWord.Parse(source);
        var t = EditWord.Parse(target);
        if (s == t)
            throw new InvalidInputException($"the task \"{task}\" edits \"{s.Value}\" into itself; name two different words");
        return new EditTask(s, t);
    }
}
