using Pix2PixZero.Core.Imaging;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// The photo a command reads: a file, or standard input when it is named <c>-</c> (or <c>/dev/stdin</c>), so that a
/// photo can be piped in. Either way it is read up to <see cref="ImageLimits.MaxBytes"/> and no further.
/// </summary>
public sealed record PhotoSource
{
    public const string StandardInput = "-";
    private const string StandardInputName = "standard input";

    private PhotoSource(string? path) => Path = path;

    /// <summary>The file's full path; null for standard input.</summary>
    public string? Path { get; }

    /// <summary>How messages and the edit's record name it.</summary>
    public string Name => Path ?? StandardInputName;

    /// <summary>What result files are named after: the file's name without its extension, "stdin" for a pipe.</summary>
    public string Stem =>
        Path is null ? "stdin"
        : System.IO.Path.GetFileNameWithoutExtension(Path) is { Length: > 0 } stem ? stem
        : "image";

    public static PhotoSource Of(string argument) =>
        new(argument is StandardInput or "/dev/stdin" ? null : System.IO.Path.GetFullPath(argument));

    public Image<Rgb24> Load()
    {
        if (Path is not null)
            return ImageCodec.Load(Path);
        if (!Console.IsInputRedirected)
            throw new ImageRejectedException(
                "the image is - (standard input), but standard input is the terminal; pipe a photo into it "
                    + "(pix2pix-zero edit - … < photo.png) or name the photo's file"
            );
        using var input = Console.OpenStandardInput();
        return ImageCodec.Load(ImageCodec.ReadBounded(input, StandardInputName), StandardInputName);
    }
}
