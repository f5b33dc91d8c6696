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
/// the page never holds a copy that could drift; the method's fields are the entries of
/// <see cref="MethodParameters.Table"/> that have a place on the form. Labels are plain words; the help says what an
/// option does and then gives the API's own description, with the method's symbol.
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

    public static EditForm For(AppSettings settings, IReadOnlyList<string> examples) =>
        new(
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
                .. MethodParameters.Table.All.Where(h => h.Form != FormPlacement.None).Select(Of),
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
                new Field(
                    "sentences",
                    "Sentences per word",
                    "number",
                    Help(
                        "sentences",
                        "How many example sentences describe each word: more make a cleaner edit and take longer the "
                            + "first time a word is used."
                    ),
                    Advanced: true,
                    Min: 1,
                    Max: SentenceGenerator.MaxCount,
                    Whole: true,
                    Default: SentenceGenerator.DefaultCount.ToString(CultureInfo.InvariantCulture)
                ),
            ]
        );

    /// <summary>
    /// The field of a hyperparameter, as its entry in <see cref="MethodParameters.Table"/> describes it.
    /// </summary>
    public static Field Of(Hyperparameter hyperparameter) =>
        new(
            hyperparameter.Field,
            hyperparameter.Label,
            hyperparameter.Kind,
            Help(hyperparameter.Field, hyperparameter.Help),
            hyperparameter.Form == FormPlacement.Advanced,
            hyperparameter.Min,
            hyperparameter.MinExclusive,
            hyperparameter.Max,
            hyperparameter.Whole,
            hyperparameter.DefaultValue ?? "",
            hyperparameter.MaxLength
        );

    private static string Help(string name, string plain) => $"{plain} API: {EditRequestParser.Accepted[name]}.";
}
