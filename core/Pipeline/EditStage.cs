using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// A stage of an edit, from loading the model to publishing the results: the one vocabulary of the pipeline's step
/// reports (<see cref="PipelineStep"/>), the stage times in a result's record, the orchestration's status, the command
/// line's progress and the web page's bars. <see cref="Name"/> is the stage as JSON writes it (records, the status
/// API, <c>progress.json</c>, <c>error.json</c>); <see cref="DisplayName"/> is the stage as people read it. A stage
/// that is part of another (<see cref="PartOf"/>) is reported on its own and timed within the other.
/// </summary>
[JsonConverter(typeof(NameConverter))]
public sealed class EditStage
{
    /// <summary>Opening the model folder (the command line's first stage).</summary>
    public static readonly EditStage Load = new("load", "load the model");

    /// <summary>Checking a request's options and photo and storing the photo at its processing size.</summary>
    public static readonly EditStage Prepare = new("prepare", "prepare the photo");

    /// <summary>BLIP's caption, or the user's (DESIGN.md §1.2 step 2).</summary>
    public static readonly EditStage Caption = new("caption", "caption");

    /// <summary>The word means the directions are made of (DESIGN.md §1.3); one step per word.</summary>
    public static readonly EditStage Directions = new("directions", "word means");

    /// <summary>The caption and the word means, which a request computes side by side.</summary>
    public static readonly EditStage CaptionAndDirections = new("caption and directions", "caption and word means");

    /// <summary>The inversion (DESIGN.md §1.2 step 4), from encoding the photo to z_T.</summary>
    public static readonly EditStage Invert = new("invert", "invert");

    /// <summary>The photo's VAE encoding, the first part of <see cref="Invert"/>.</summary>
    public static readonly EditStage Encode = new("encode", "encode", Invert);

    /// <summary>The reference and guided edit passes (DESIGN.md §1.2 steps 5–6), then decoding the results.</summary>
    public static readonly EditStage Edit = new("edit", "edit");

    /// <summary>The VAE decoding of the edited latents, the last part of <see cref="Edit"/>.</summary>
    public static readonly EditStage Decode = new("decode", "decode", Edit);

    /// <summary>Synthetic mode's edits from seeded noise, the decoding included.</summary>
    public static readonly EditStage Generate = new("generate", "generate");

    /// <summary>Copying the results where they are served and writing the request's manifest.</summary>
    public static readonly EditStage Publish = new("publish", "publish");

    /// <summary>Where a request is once it has published its results.</summary>
    public static readonly EditStage Complete = new("complete", "complete");

    private static readonly EditStage[] All =
    [
        Load,
        Prepare,
        Caption,
        Directions,
        CaptionAndDirections,
        Invert,
        Encode,
        Edit,
        Decode,
        Generate,
        Publish,
        Complete,
    ];

    private EditStage(string name, string displayName, EditStage? partOf = null)
    {
        Name = name;
        DisplayName = displayName;
        PartOf = partOf;
    }

    public string Name { get; }

    public string DisplayName { get; }

    /// <summary>The stage whose time this one counts in, when it is a part of another.</summary>
    public EditStage? PartOf { get; }

    /// <summary>The stage this one's time is counted in: <see cref="PartOf"/>, else itself.</summary>
    public EditStage Timed => PartOf ?? this;

    public override string ToString() => Name;

    /// <summary>The stage named <paramref name="name"/> (<see cref="Name"/>).</summary>
    public static EditStage Parse(string name) =>
        Array.Find(All, s => s.Name == name)
        ?? throw new ArgumentException(
            $"\"{name}\" is no stage of an edit (stages: {string.Join(", ", All.Select(s => s.Name))})",
            nameof(name)
        );

    private sealed class NameConverter : JsonConverter<EditStage>
    {
        public override EditStage Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            var name = reader.GetString() ?? throw new JsonException("a stage is a string");
            try
            {
                return Parse(name);
            }
            catch (ArgumentException e)
            {
                throw new JsonException(e.Message, e);
            }
        }

        public override void Write(Utf8JsonWriter writer, EditStage value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.Name);
    }
}
