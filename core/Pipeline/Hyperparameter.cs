using System.Globalization;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Where the web page's form offers a hyperparameter: not at all, among the first fields, or folded away.
/// </summary>
public enum FormPlacement
{
    None,
    Main,
    Advanced,
}

/// <summary>
/// One hyperparameter of the method as every surface offers it (<see cref="MethodParameters.Table"/>): the property a
/// library caller sets, the HTTP field (also the blob metadata name and the form's field), the CLI flag, the form's
/// label, what it is (<see cref="Summary"/>, with the method's symbol) and what it does in plain words
/// (<see cref="Help"/>), its accepted values and its default. Help texts and refusals are written from these, so a
/// range or a default is stated once.
/// </summary>
public abstract class Hyperparameter
{
    public required string Property { get; init; }

    public required string Field { get; init; }

    public required string Flag { get; init; }

    public required string Label { get; init; }

    public required string Summary { get; init; }

    public required string Help { get; init; }

    public FormPlacement Form { get; init; }

    /// <summary>What the values count, when they count something (written after the range).</summary>
    public string? Unit { get; init; }

    /// <summary>Why the range is drawn where it is, added to a refusal.</summary>
    public string? Note { get; init; }

    /// <summary>"number", "choice" or "text".</summary>
    public abstract string Kind { get; }

    public abstract double? Min { get; }

    public abstract bool MinExclusive { get; }

    public abstract double? Max { get; }

    public abstract bool Whole { get; }

    public abstract int? MaxLength { get; }

    public abstract IReadOnlyList<string>? Choices { get; }

    /// <summary>The accepted values in words, such as "2..999".</summary>
    public string Range => Unit is null ? RuleRange : $"{RuleRange} {Unit}";

    /// <summary>The default as a value the parsers accept, for a photo; null when it is the photo's caption.</summary>
    public abstract string? DefaultValue { get; }

    /// <summary>The default in words: the value, or what it depends on.</summary>
    public abstract string DefaultDescription { get; }

    /// <summary>The help every surface gives: what it is, the accepted values and the default.</summary>
    public string Description => $"{Summary}, {Range} (default {DefaultDescription})";

    /// <summary>What a refusal tells the user to do.</summary>
    public string Accepted => $"use {Range} (default {DefaultDescription})" + (Note is null ? "" : $"; {Note}");

    private protected abstract string RuleRange { get; }

    /// <summary>
    /// <paramref name="parameters"/> with this one read from <paramref name="text"/>, or a refusal that names it
    /// <paramref name="name"/> (as the user typed it) when the text is no value or one out of range.
    /// </summary>
    public abstract MethodParameters Read(MethodParameters parameters, string text, string name);

    /// <summary>Refuses the value <paramref name="parameters"/> hold when it is out of range.</summary>
    public abstract void Check(MethodParameters parameters, string name);
}

/// <summary>
/// A hyperparameter of type <typeparamref name="T"/>; null values (when T allows them) mean "by mode".
/// </summary>
public sealed class Hyperparameter<T> : Hyperparameter
{
    public required ValueRule<T> Rule { get; init; }

    public required T Default { get; init; }

    public required Func<MethodParameters, T> Get { get; init; }

    public required Func<MethodParameters, T, MethodParameters> Set { get; init; }

    /// <summary>For a default that depends on the mode: what it is for a photo and in words.</summary>
    public T? PhotoDefault { get; init; }

    public string? DefaultWords { get; init; }

    public override string Kind => Rule.Kind;

    public override double? Min => Rule.Min;

    public override bool MinExclusive => Rule.MinExclusive;

    public override double? Max => Rule.Max;

    public override bool Whole => Rule.Whole;

    public override int? MaxLength => Rule.MaxLength;

    public override IReadOnlyList<string>? Choices => Rule.Choices;

    public override string? DefaultValue =>
        Default is { } value ? Rule.Format(value)
        : PhotoDefault is { } photo ? Rule.Format(photo)
        : null;

    public override string DefaultDescription => DefaultWords ?? DefaultValue ?? "";

    private protected override string RuleRange => Rule.Range;

    public override MethodParameters Read(MethodParameters parameters, string text, string name) =>
        Rule.TryParse(text, out var value)
            ? Set(parameters, Checked(value, name))
            : throw new InvalidOptionException(
                name,
                text,
                Rule.Unparsable is { } kind ? $"use {kind} ({Description})" : Accepted
            );

    public override void Check(MethodParameters parameters, string name) => Checked(Get(parameters), name);

    private T Checked(T value, string name) =>
        Rule.Accepts(value) ? value : throw new InvalidOptionException(name, Rule.Shown(value), Accepted);
}

/// <summary>
/// How the values of a <see cref="Hyperparameter{T}"/> are read from text, which are accepted and how they are
/// written; made by <see cref="ValueRule"/>.
/// </summary>
public sealed class ValueRule<T>
{
    public delegate bool Parser(string text, out T value);

    public required string Kind { get; init; }

    public required string Range { get; init; }

    /// <summary>
    /// What a text that is no value at all should be ("a whole number"); null: <see cref="Range"/> says.
    /// </summary>
    public string? Unparsable { get; init; }

    public required Parser TryParse { get; init; }

    public required Func<T, bool> Accepts { get; init; }

    public required Func<T, string> Format { get; init; }

    /// <summary>The value as a refusal quotes it.</summary>
    public Func<T, object?> Shown { get; init; } = value => value;

    public double? Min { get; init; }

    public bool MinExclusive { get; init; }

    public double? Max { get; init; }

    public bool Whole { get; init; }

    public int? MaxLength { get; init; }

    public IReadOnlyList<string>? Choices { get; init; }
}

/// <summary>The kinds of values hyperparameters take. Numbers are read and written in the invariant culture.</summary>
public static class ValueRule
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>A whole number in <paramref name="min"/>..<paramref name="max"/> (no upper bound when null).</summary>
    public static ValueRule<T> Whole<T>(T min, T? max = null)
        where T : struct, System.Numerics.IBinaryInteger<T> =>
        new()
        {
            Kind = "number",
            Range = max is { } top
                ? $"{min.ToString(null, Invariant)}..{top.ToString(null, Invariant)}"
                : $"a whole number ≥ {min.ToString(null, Invariant)}",
            Unparsable = "a whole number",
            TryParse = (string text, out T value) => T.TryParse(text, NumberStyles.Integer, Invariant, out value),
            Accepts = value => value >= min && (max is not { } upper || value <= upper),
            Format = value => value.ToString(null, Invariant),
            Min = double.CreateChecked(min),
            Max = max is { } m ? double.CreateChecked(m) : null,
            Whole = true,
        };

    /// <summary>
    /// A finite number in <paramref name="min"/>..<paramref name="max"/>, the minimum excluded if asked.
    /// </summary>
    public static ValueRule<float> Real(float min, float max, bool minExclusive = false) =>
        new()
        {
            Kind = "number",
            Range = minExclusive ? $"a value above {Text(min)} and at most {Text(max)}" : $"{Text(min)}..{Text(max)}",
            Unparsable = "a number",
            TryParse = (string text, out float value) => float.TryParse(text, NumberStyles.Float, Invariant, out value),
            Accepts = value => float.IsFinite(value) && (minExclusive ? value > min : value >= min) && value <= max,
            Format = Text,
            Min = min,
            MinExclusive = minExclusive,
            Max = max,
        };

    /// <summary>As <see cref="Real"/>, or unset (null) to let the mode choose.</summary>
    public static ValueRule<float?> OptionalReal(float min, float max)
    {
        var real = Real(min, max);
        return new()
        {
            Kind = real.Kind,
            Range = real.Range,
            Unparsable = real.Unparsable,
            TryParse = (string text, out float? value) =>
            {
                var parsed = real.TryParse(text, out var number);
                value = number;
                return parsed;
            },
            Accepts = value => value is not { } number || real.Accepts(number),
            Format = value => value is { } number ? real.Format(number) : "",
            Min = real.Min,
            Max = real.Max,
        };
    }

    /// <summary>One of an enum's names, in any case.</summary>
    public static ValueRule<TEnum> Choice<TEnum>()
        where TEnum : struct, Enum
    {
        var names = Enum.GetNames<TEnum>();
        return new()
        {
            Kind = "choice",
            Range = string.Join(", ", names[..^1]) + " or " + names[^1],
            TryParse = (string text, out TEnum value) =>
                Enum.TryParse(text, ignoreCase: true, out value) && Enum.IsDefined(value),
            Accepts = Enum.IsDefined,
            Format = value => value.ToString(),
            Choices = names,
        };
    }

    /// <summary>
    /// Text of at most <paramref name="maxLength"/> characters, or unset (null) to let the mode choose.
    /// </summary>
    public static ValueRule<string?> Text(int maxLength) =>
        new()
        {
            Kind = "text",
            Range = $"at most {maxLength}",
            TryParse = (string text, out string? value) =>
            {
                value = text;
                return true;
            },
            Accepts = value => value is not { } text || text.Length <= maxLength,
            Format = value => value ?? "",
            Shown = value => $"{value?.Length} characters",
            MaxLength = maxLength,
        };

    private static string Text(float value) => value.ToString(Invariant);
}
