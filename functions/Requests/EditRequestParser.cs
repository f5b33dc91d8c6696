using System.Globalization;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Scheduling;
using Pix2PixZero.Functions.Activities;

namespace Pix2PixZero.Functions.Requests;

/// <summary>
/// Reads a request's options from text (blob metadata or HTTP form/JSON fields — the same names either way; names are
/// case-insensitive) into <see cref="RequestSettings"/>, once, where a request arrives; the typed settings travel on.
/// The method's fields, defaults and ranges are <see cref="MethodParameters.Table"/>'s; an empty field keeps the
/// default. Unknown names are refused, so a typo never silently falls back to a default.
/// </summary>
public static class EditRequestParser
{
    public const int MaxTasks = 16;
    public const int MaxCaptionLength = 1000;

    /// <summary>Every option with its help; the method's own are <see cref="MethodParameters.Table"/>'s.</summary>
    public static readonly IReadOnlyDictionary<string, string> Accepted = new Dictionary<string, string>(
        [
            new("tasks", "edits as source2target, separated by commas (e.g. cat2dog,dog2cat)"),
            new("caption", "the image's caption; skips BLIP captioning"),
            .. MethodParameters.Table.All.Select(h => KeyValuePair.Create(h.Field, h.Description)),
            new(
                "sentences",
                "built-in sentences per word for directions, "
                    + $"1..{SentenceGenerator.MaxCount} (default {SentenceGenerator.DefaultCount})"
            ),
            new(
                "mode",
                "batched (default: all tasks in one edit activity sharing "
                    + "the reference pass) or fanout (one activity per task)"
            ),
            new(
                "size",
                "process at the area of a size×size square, the photo's proportions kept; a multiple of 64 "
                    + "(default: the model's, 512 for SD 1.x)"
            ),
            new(
                "original_size",
                "true: return the results resized to the photo's own pixel size (default false: the processing size)"
            ),
            new(
                "sets",
                "sentence sets posted to POST /api/directions, as word=hash pairs separated "
                    + "by commas (e.g. cat=3f2a…,dog=9b1c…); other words use the built-in sentences"
            ),
        ],
        StringComparer.OrdinalIgnoreCase
    );

    /// <summary>
    /// Validates <paramref name="options"/>; <paramref name="tasks"/> come first (e.g. the inbox folder's task).
    /// </summary>
    public static RequestSettings Parse(IReadOnlyDictionary<string, string> options, IEnumerable<string>? tasks = null)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in options)
        {
            if (!Accepted.ContainsKey(name))
                throw new InvalidOptionException(
                    name,
                    value,
                    $"there is no option \"{name}\"; the options are {string.Join(", ", Accepted.Keys)}"
                );
            if (!values.TryAdd(name, value.Trim()))
                throw new InvalidOptionException(name, value, "give each option once");
        }

        var method = MethodParameters.Read(
            h => values.GetValueOrDefault(h.Field) is { Length: > 0 } text ? text : null,
            h => h.Field
        );

        var sentences = Number(values, "sentences", SentenceGenerator.DefaultCount, int.TryParse, "a whole number");
        if (sentences is < 1 or > SentenceGenerator.MaxCount)
            throw new InvalidOptionException(
                "sentences",
                sentences,
                $"use 1..{SentenceGenerator.MaxCount} (default {SentenceGenerator.DefaultCount})"
            );

        var mode = values.GetValueOrDefault("mode") switch
        {
            null or "" => EditMode.Batched,
            var m when m.Equals("batched", StringComparison.OrdinalIgnoreCase) => EditMode.Batched,
            var m when m.Equals("fanout", StringComparison.OrdinalIgnoreCase) => EditMode.FanOut,
            var m => throw new InvalidOptionException("mode", m, "use batched (default) or fanout"),
        };

        var caption = values.GetValueOrDefault("caption") is { Length: > 0 } c ? c : null;
        if (caption is { Length: > MaxCaptionLength })
            throw new InvalidOptionException(
                "caption",
                $"{caption.Length} characters",
                $"use at most {MaxCaptionLength} characters"
            );

        int? size = values.GetValueOrDefault("size") is { Length: > 0 }
            ? ModelBundle.CheckImageSize(Number(values, "size", 0, int.TryParse, "a whole number"))
            : null;
        var originalSize = values.GetValueOrDefault("original_size") switch
        {
            null or "" => false,
            var v when bool.TryParse(v, out var flag) => flag,
            var v => throw new InvalidOptionException("original_size", v, "use true or false (default false)"),
        };

        var parsedTasks = Tasks(tasks, values.GetValueOrDefault("tasks"));
        return new RequestSettings(
            parsedTasks.Select(t => t.Name).ToList(),
            caption,
            method,
            sentences,
            mode,
            SentenceSets(values.GetValueOrDefault("sets"), parsedTasks)
        )
        {
            Size = size,
            OriginalSize = originalSize,
        };
    }

    private static List<EditTask> Tasks(IEnumerable<string>? first, string? listed)
    {
        var names = (first ?? []).Concat(
            (listed ?? "").Split(
                [',', ';', ' '],
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
        );
        var tasks = EditTask.ParseDistinct(names);
        if (tasks.Count == 0)
            throw new InvalidOptionException(
                "tasks",
                "(none)",
                "name at least one edit such as cat2dog: upload into edit-requests/cat2dog/, or set the tasks option"
            );
        if (tasks.Count > MaxTasks)
            throw new InvalidOptionException("tasks", tasks.Count, $"use 1..{MaxTasks} tasks per request");
        return tasks;
    }

    // "cat=<hash>,dog=<hash>": each word must be one the tasks use, each hash a sentence set's SHA-256.
    private static Dictionary<string, string> SentenceSets(string? listed, IReadOnlyList<EditTask> tasks)
    {
        var sets = new Dictionary<string, string>(StringComparer.Ordinal);
        var words = tasks.SelectMany(t => new[] { t.Source.Value, t.Target.Value }).ToHashSet(StringComparer.Ordinal);
        foreach (
            var pair in (listed ?? "").Split(
                ',',
                StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries
            )
        )
        {
            var parts = pair.Split('=', StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || !IsSetHash(parts[1]))
                throw new InvalidOptionException(
                    "sets",
                    pair,
                    "use word=hash with the 64-character sentenceSetHash "
                        + $"POST /api/directions answered ({Accepted["sets"]})"
                );
            var word = EditWord.Parse(parts[0]).Value;
            if (!words.Contains(word))
                throw new InvalidOptionException(
                    "sets",
                    pair,
                    $"\"{word}\" is not a word of the tasks ({string.Join(", ", words)})"
                );
            if (!sets.TryAdd(word, parts[1].ToLowerInvariant()))
                throw new InvalidOptionException("sets", pair, $"give one sentence set per word; \"{word}\" has two");
        }
        return sets;
    }

    private static bool IsSetHash(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigit);

    private delegate bool TryParse<T>(string text, NumberStyles styles, IFormatProvider provider, out T value);

    private static T Number<T>(
        Dictionary<string, string> values,
        string name,
        T fallback,
        TryParse<T> parse,
        string kind
    )
    {
        if (!values.TryGetValue(name, out var text) || text.Length == 0)
            return fallback;
        var styles = typeof(T) == typeof(float) ? NumberStyles.Float : NumberStyles.Integer;
        return parse(text, styles, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new InvalidOptionException(name, text, $"use {kind} ({Accepted[name]})");
    }
}
