using System.Globalization;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Requests;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Web;

/// <summary>
/// What the web page's form offers (served as <c>/app/form.json</c>): the photo limits, the stages a request passes,
/// the example photos and each option with its range and default, all read from where the API itself takes them, so
/// the page never holds a copy that could drift. Labels are plain words; the help says what an option does and then
/// gives the API's own description, with the method's symbol.
/// </summary>
public sealed record EditForm(
    long MaxImageBytes,
    IReadOnlyList<string> ImageTypes,
    string ImageFormats,
    IReadOnlyList<EditForm.Stage> Stages,
    IReadOnlyList<string> Examples,
    string CancelledStatus,
    IReadOnlyList<EditForm.Field> Options
)
{
    /// <summary>Room left in a request body for the form's other fields and the multipart framing.</summary>
    public const long FormAllowance = 64 * 1024;

    /// <summary>The media types of <see cref="ImageCodec.SupportedFormats"/>.</summary>
    public static readonly IReadOnlyList<string> MediaTypes = ["image/png", "image/jpeg", "image/webp"];

    /// <summary>
    /// One stage of <see cref="EditStatus.Stages"/>: its name in the status API and its label for people
    /// (<see cref="EditStage.DisplayName"/>).
    /// </summary>
    public sealed record Stage(string Name, string Label);

    /// <summary>
    /// One option of <see cref="EditRequestParser.Accepted"/>: a number in [<see cref="Min"/>, <see cref="Max"/>]
    /// (<see cref="Min"/> itself excluded when <see cref="MinExclusive"/>; no upper bound when <see cref="Max"/> is
    /// null), or text of at most <see cref="MaxLength"/> characters; <see cref="Advanced"/> ones are folded away on the
    /// page.
    /// </summary>
    public sealed record Field(
        string Name,
        string Label,
        string Kind,
        string Help,
        bool Advanced,
        double? Min = null,
        bool MinExclusive = false,
        double? Max = null,
        bool Whole = false,
        string Default = "",
        int? MaxLength = null
    );

    public static EditForm For(AppSettings settings, IReadOnlyList<string> examples)
    {
        var defaults = new MethodParameters();
        return new EditForm(
            Math.Min(
                settings.MaxRequestBytes - Math.Min(FormAllowance, settings.MaxRequestBytes / 2),
                ImageLimits.Default.MaxBytes
            ),
            MediaTypes,
            ImageCodec.SupportedFormats,
            [.. EditStatus.Stages.Select(s => new Stage(s.Name, s.DisplayName))],
            examples,
            EditsApi.CancelledStatus,
            [
                Number(
                    "multiplier",
                    "Edit strength",
                    "How far to move from the first word towards the second: above 1 exaggerates the change, below 1 "
                        + "softens it, a negative value goes the other way.",
                    -EditDirection.MaxAbsMultiplier,
                    EditDirection.MaxAbsMultiplier,
                    defaults.EditMultiplier
                ),
                Number(
                    "xa",
                    "Keep the photo's layout",
                    "How hard each step is pulled back to where things are in your photo; 0 turns it off, and the "
                        + "result may then move or reshape them.",
                    0,
                    MethodParameters.MaxCrossAttentionGuidance,
                    MethodParameters.RealCrossAttentionGuidance
                ),
                Number(
                    "steps",
                    "Steps",
                    "More steps follow the photo more closely and take longer, in proportion.",
                    2,
                    MethodParameters.MaxSteps,
                    defaults.Steps,
                    whole: true
                ),
                Number(
                    "guidance",
                    "Text guidance",
                    "How strongly the words steer each step; higher is bolder and less like the photo.",
                    1,
                    MethodParameters.MaxGuidanceScale,
                    defaults.GuidanceScale,
                    minExclusive: true,
                    advanced: true
                ),
                Number(
                    "seed",
                    "Seed",
                    "Another whole number gives another, equally valid result.",
                    0,
                    null,
                    defaults.Seed,
                    whole: true,
                    advanced: true
                ),
                new Field(
                    "caption",
                    "Describe your photo",
                    "text",
                    Help(
                        "caption",
                        "Leave empty and the model writes a caption. Mention the thing you edit, e.g. \"a cat "
                            + "sitting on a sofa\"."
                    ),
                    Advanced: true,
                    MaxLength: EditRequestParser.MaxCaptionLength
                ),
                Number(
                    "sentences",
                    "Sentences per word",
                    "How many example sentences describe each word: more make a cleaner edit and take longer the "
                        + "first time a word is used.",
                    1,
                    SentenceGenerator.MaxCount,
                    SentenceGenerator.DefaultCount,
                    whole: true,
                    advanced: true
                ),
            ]
        );
    }

    private static string Help(string name, string plain) => $"{plain} API: {EditRequestParser.Accepted[name]}.";

    // The default is written from its own type (0.1f reads "0.1", not the double 0.100000001…).
    private static Field Number<T>(
        string name,
        string label,
        string plain,
        double min,
        double? max,
        T value,
        bool whole = false,
        bool minExclusive = false,
        bool advanced = false
    )
        where T : IFormattable =>
        new(
            name,
            label,
            "number",
            Help(name, plain),
            advanced,
            min,
            minExclusive,
            max,
            whole,
            value.ToString(null, CultureInfo.InvariantCulture)
        );
}
