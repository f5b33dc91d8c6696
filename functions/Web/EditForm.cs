using System.Globalization;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Imaging;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Orchestrations;
using Pix2PixZero.Functions.Requests;

namespace Pix2PixZero.Functions.Web;

/// <summary>
/// What the web page's form offers (served as <c>/app/form.json</c>): the photo limits, the stages a request passes
/// and each option with its range and default, all read from where the API itself takes them, so the page never
/// holds a copy that could drift.
/// </summary>
public sealed record EditForm(
    long MaxImageBytes,
    IReadOnlyList<string> ImageTypes,
    string ImageFormats,
    IReadOnlyList<string> Stages,
    IReadOnlyList<EditForm.Field> Options
)
{
    /// <summary>Room left in a request body for the form's other fields and the multipart framing.</summary>
    public const long FormAllowance = 64 * 1024;

    /// <summary>The media types of <see cref="ImageCodec.SupportedFormats"/>.</summary>
    public static readonly IReadOnlyList<string> MediaTypes = ["image/png", "image/jpeg", "image/webp"];

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

    public static EditForm For(AppSettings settings)
    {
        var defaults = new MethodParameters();
        var help = EditRequestParser.Accepted;
        return new EditForm(
            Math.Min(
                settings.MaxRequestBytes - Math.Min(FormAllowance, settings.MaxRequestBytes / 2),
                ImageLimits.Default.MaxBytes
            ),
            MediaTypes,
            ImageCodec.SupportedFormats,
            EditStatus.Stages,
            [
                Number("steps", "Steps", help, 2, MethodParameters.MaxSteps, defaults.Steps, whole: true),
                Number(
                    "guidance",
                    "Guidance scale",
                    help,
                    1,
                    MethodParameters.MaxGuidanceScale,
                    defaults.GuidanceScale,
                    minExclusive: true
                ),
                Number(
                    "xa",
                    "Cross-attention guidance step",
                    help,
                    0,
                    MethodParameters.MaxCrossAttentionGuidance,
                    MethodParameters.RealCrossAttentionGuidance
                ),
                Number("seed", "Seed", help, 0, null, defaults.Seed, whole: true),
                new Field(
                    "caption",
                    "Caption",
                    "text",
                    help["caption"],
                    Advanced: true,
                    MaxLength: EditRequestParser.MaxCaptionLength
                ),
                Number(
                    "sentences",
                    "Sentences per word",
                    help,
                    1,
                    SentenceGenerator.MaxCount,
                    SentenceGenerator.DefaultCount,
                    whole: true,
                    advanced: true
                ),
            ]
        );
    }

    // The default is written from its own type (0.1f reads "0.1", not the double 0.100000001…).
    private static Field Number<T>(
        string name,
        string label,
        IReadOnlyDictionary<string, string> help,
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
            help[name],
            advanced,
            min,
            minExclusive,
            max,
            whole,
            value.ToString(null, CultureInfo.InvariantCulture)
        );
}
