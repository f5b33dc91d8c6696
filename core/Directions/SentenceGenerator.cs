using System.Security.Cryptography;
using System.Text;
using Pix2PixZero.Core.Inversion;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Offline stand-in for the paper's language-model sentences: varied English captions that contain the word,
/// assembled from templates over pools of styles, adjectives, poses and settings. Deterministic per word (the
/// generator is seeded from SHA-256("sentences:" + word)), no duplicates, "a"/"an" chosen by sound.
/// The pools allow well over 100,000 distinct sentences, so 1,000 (the public default) never runs short.
/// </summary>
public static class SentenceGenerator
{
    public const int DefaultCount = 1000;
    public const int MaxCount = 20_000;

    private static readonly string[] Styles =
    [
        "a photo",
        "a close-up photo",
        "a painting",
        "a watercolor painting",
        "an oil painting",
        "a sketch",
        "a pencil drawing",
        "a digital illustration",
        "a black and white photo",
        "a blurry photo",
        "a cartoon",
        "a 3D render",
        "an artistic photo",
        "a high resolution photo",
        "a vintage photograph",
        "a snapshot",
        "a detailed drawing",
        "a cropped photo",
    ];

    private static readonly string[] Adjectives =
    [
        "small",
        "large",
        "beautiful",
        "colorful",
        "old",
        "bright",
        "tiny",
        "huge",
        "elegant",
        "simple",
        "classic",
        "lonely",
        "quiet",
        "famous",
        "strange",
        "lovely",
        "majestic",
        "ordinary",
        "unusual",
        "vintage",
        "modern",
        "ancient",
        "curious",
        "graceful",
        "sleepy",
        "friendly",
        "mysterious",
        "wet",
        "dusty",
        "shiny",
        "orange",
        "white",
        "black",
        "brown",
        "gray",
        "golden",
        "enormous",
        "iconic",
        "interesting",
        "cute",
    ];

    private static readonly string[] Poses =
    [
        "sitting",
        "standing",
        "resting",
        "lying",
        "waiting",
        "shown",
        "seen",
        "photographed",
        "pictured",
        "posing",
        "relaxing",
        "placed",
        "captured",
    ];

    private static readonly string[] Settings =
    [
        "in a park",
        "on a beach",
        "in the snow",
        "on a wooden table",
        "next to a window",
        "in a living room",
        "on a city street",
        "in a forest",
        "in a garden",
        "on a sunny day",
        "at night",
        "in the rain",
        "near a river",
        "on a green lawn",
        "in front of a house",
        "in a studio",
        "on a mountain trail",
        "in a field of flowers",
        "by the lake",
        "on a farm",
        "under a tree",
        "in an empty room",
        "at sunset",
        "in the desert",
        "on a rooftop",
        "in a kitchen",
        "on a stone wall",
        "in the morning light",
        "in an old barn",
        "on a busy sidewalk",
    ];

    private static readonly string[] Closings =
    [
        "with a blurred background",
        "in soft light",
        "on a cloudy afternoon",
        "in warm colors",
        "from above",
        "from a low angle",
        "in high detail",
        "during the winter",
        "in the summer",
        "against a plain wall",
    ];

    // Consonant sounds spelled with a leading vowel, and vowel sounds spelled with a leading 'h'.
    private static readonly string[] VowelLettersSoundingConsonant =
    [
        "uni",
        "use",
        "usu",
        "uti",
        "ute",
        "ura",
        "uro",
        "euro",
        "eu",
        "ewe",
        "one",
        "once",
    ];
    private static readonly string[] SilentH = ["hour", "honest", "honor", "honour", "heir"];

    public static IReadOnlyList<string> Generate(EditWord word, int count = DefaultCount)
    {
        if (count is < 1 or > MaxCount)
            throw new InvalidOptionException("sentence count", count, $"use 1..{MaxCount} (default {DefaultCount})");
        string w = word.Value ?? throw new ArgumentException("The edit word is uninitialized.", nameof(word));
        var random = new SplitMix64(
            BitConverter.ToUInt64(SHA256.HashData(Encoding.UTF8.GetBytes("sentences:" + w)), 0)
        );
        string Pick(string[] pool) => pool[random.NextInt(pool.Length)];

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var sentences = new List<string>(count);
        for (int attempt = 0; sentences.Count < count; attempt++)
        {
            if (attempt > 100 * count)
                throw new InvalidOperationException($"Could not make {count} distinct sentences for \"{w}\".");
            string adjective = Pick(Adjectives);
            string sentence = random.NextInt(8) switch
            {
                0 => $"{Pick(Styles)} of {WithArticle($"{adjective} {w}")} {Pick(Settings)}.",
                1 => $"{WithArticle($"{adjective} {w}")} {Pick(Poses)} {Pick(Settings)}.",
                2 => $"{Pick(Styles)} of the {w} {Pick(Poses)} {Pick(Settings)}, {Pick(Closings)}.",
                3 => $"There is {WithArticle($"{adjective} {w}")} {Pick(Settings)}.",
                4 => $"the {adjective} {w} is {Pick(Poses)} {Pick(Settings)} {Pick(Closings)}.",
                5 => $"{WithArticle(w)} {Pick(Poses)} {Pick(Settings)}, {Pick(Closings)}.",
                6 => $"this is {Pick(Styles)} of my {adjective} {w} {Pick(Settings)}.",
                _ => $"{WithArticle(adjective)} and {Pick(Adjectives)} {w} {Pick(Settings)}.",
            };
            if (sentence.Contains($" {adjective} and {adjective} ", StringComparison.Ordinal))
                continue;
            sentence = char.ToUpperInvariant(sentence[0]) + sentence[1..];
            if (seen.Add(sentence))
                sentences.Add(sentence);
        }
        return sentences;
    }

    /// <summary>
    /// "a" or "an" by how the phrase starts when spoken (a unicorn, an hour, an old cat, an 8-bit robot).
    /// </summary>
    internal static string WithArticle(string phrase)
    {
        string start = phrase.ToLowerInvariant();
        bool vowelSound =
            start.Length > 0
            && start[0] switch
            {
                'a' or 'e' or 'i' or 'o' or 'u' => !VowelLettersSoundingConsonant.Any(p =>
                    start.StartsWith(p, StringComparison.Ordinal)
                ),
                'h' => SilentH.Any(p => start.StartsWith(p, StringComparison.Ordinal)),
                '8' => true,
                '1' => (
                    start.StartsWith("11", StringComparison.Ordinal) || start.StartsWith("18", StringComparison.Ordinal)
                ) && (start.Length == 2 || !char.IsDigit(start[2])),
                _ => false,
            };
        return (vowelSound ? "an " : "a ") + phrase;
    }
}
