using System.Text;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// The files one run writes into its output folder, settled before any model loads: an edit can run for half an
/// hour, and finding only then that a name is too long, that a folder stands where a picture goes or that the disk
/// is full loses it. Written staged: every picture and record goes into a hidden staging folder beside the results,
/// and only when all are there are they moved into place, so a failure leaves neither a picture without its record
/// nor a half file.
/// </summary>
public sealed class ResultFiles
{
    /// <summary>
    /// NAME_MAX and PATH_MAX (less its terminating NUL) of Linux file systems, in bytes of UTF-8: a CJK character
    /// takes three.
    /// </summary>
    public const int MaxNameBytes = 255;
    public const int MaxPathBytes = 4095;

    /// <summary>The room a record (JSON) is given when the free space is checked.</summary>
    public const long RecordBytes = 64 * 1024;

    private const string StagingPrefix = ".pix2pix-zero-";

    private ResultFiles(string folder, IReadOnlyList<string> names) => (Folder, Names) = (folder, names);

    public string Folder { get; }

    /// <summary>The file names, in the order they are written.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>The most a PNG of <paramref name="side"/>² pixels takes: RGB unfiltered, a filter byte a row.</summary>
    public static long PictureBytes(int side) => 3L * side * side + side + 64 * 1024;

    /// <summary>
    /// Checks the names (<paramref name="names"/>, made from <paramref name="madeFrom"/> for messages) and the
    /// folder's free space for <paramref name="bytes"/>; a problem is an error that says what to change.
    /// </summary>
    public static ResultFiles Plan(string folder, IReadOnlyList<string> names, string madeFrom, long bytes)
    {
        var staging = Path.Combine(folder, StagingName());
        foreach (var name in names)
        {
            if (name is "" or "." or ".." || name.IndexOfAny(['/', '\0']) >= 0)
                throw new InvalidInputException(
                    $"the result file name \"{InputText.Shorten(name)}\" (from {madeFrom}) cannot name a file; "
                        + "rename the photo"
                );
            var nameBytes = Encoding.UTF8.GetByteCount(name);
            if (nameBytes > MaxNameBytes)
                throw new InvalidInputException(
                    $"the result file name \"{InputText.Shorten(name)}\" is {nameBytes} bytes long (UTF-8), and file "
                        + $"names may have at most {MaxNameBytes}; it is made from {madeFrom}: rename the photo or "
                        + "use shorter task words"
                );
            var pathBytes = Encoding.UTF8.GetByteCount(Path.Combine(staging, name));
            if (pathBytes > MaxPathBytes)
                throw new InvalidOptionException(
                    "--out",
                    folder,
                    $"the result {name} would have a path of {pathBytes} bytes, and paths may have at most "
                        + $"{MaxPathBytes}; name a shorter folder"
                );
            var path = Path.Combine(folder, name);
            if (FileTypes.Of(path) is var type and not (FileType.Missing or FileType.Regular))
                throw new InvalidOptionException(
                    "--out",
                    folder,
                    $"{name} is already there as {FileTypes.Describe(type)}, where the result goes; "
                        + "move it away or name another folder"
                );
        }
        var free = new DriveInfo(folder).AvailableFreeSpace;
        if (free < bytes)
            throw new InvalidOptionException(
                "--out",
                folder,
                $"its disk has {Mebibytes(free)} free and the results need up to {Mebibytes(bytes)}; "
                    + "free some space or name a folder on another disk"
            );
        return new ResultFiles(folder, names);
    }

    public string PathOf(string name) => Path.Combine(Folder, name);

    /// <summary>
    /// Writes every file (its content by name) into the staging folder, then moves them into place; on any failure
    /// what was moved is removed with the staging folder, and the error says which stage of the writing failed.
    /// </summary>
    public IReadOnlyList<string> Write(Func<string, byte[]> content, Func<string, Stream>? open = null)
    {
        open ??= path => new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None);
        var staging = Path.Combine(Folder, StagingName());
        var placed = new List<string>();
        try
        {
            Directory.CreateDirectory(staging);
            foreach (var name in Names)
            {
                using var stream = open(Path.Combine(staging, name));
                stream.Write(content(name));
                if (stream is FileStream file)
                    file.Flush(flushToDisk: true);
            }
            foreach (var name in Names)
            {
                File.Move(Path.Combine(staging, name), PathOf(name), overwrite: true);
                placed.Add(PathOf(name));
            }
            return placed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            foreach (var path in placed)
                File.Delete(path);
            throw new Pix2PixZeroException(
                FileSystemFailure.KindOf(e),
                $"the results could not be written to {Folder} ({e.Message}); nothing was left there"
                    + (FileSystemFailure.KindOf(e) == FailureKind.Transient ? "; run the command again" : ""),
                e
            );
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    private static string StagingName() => $"{StagingPrefix}{Guid.NewGuid():N}.tmp";

    private static string Mebibytes(long bytes) => $"{bytes / 1048576.0:N1} MiB";
}
