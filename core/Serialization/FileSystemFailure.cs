namespace Pix2PixZero.Core.Serialization;

/// <summary>
/// The <see cref="FailureKind"/> of a file-system error, read from what the system said: a name too long, a read-only
/// folder, a file where a folder was named (or the reverse), a missing path or refused permission happen again on
/// every run until the user changes something, so they are <see cref="FailureKind.InvalidInput"/>; a full disk, an
/// I/O error or a busy file may pass when tried again.
/// </summary>
public static class FileSystemFailure
{
    // Linux errno values that .NET keeps as an IOException's HResult when it has no exception type of its own for them.
    private static readonly HashSet<int> WillRepeat =
    [
        1, // EPERM
        2, // ENOENT
        6, // ENXIO
        13, // EACCES
        17, // EEXIST
        18, // EXDEV
        19, // ENODEV
        20, // ENOTDIR
        21, // EISDIR
        22, // EINVAL
        27, // EFBIG
        30, // EROFS
        31, // EMLINK
        36, // ENAMETOOLONG
        40, // ELOOP
    ];

    public static FailureKind KindOf(Exception e) =>
        e switch
        {
            UnauthorizedAccessException
            or PathTooLongException
            or FileNotFoundException
            or DirectoryNotFoundException => FailureKind.InvalidInput,
            IOException { HResult: var errno } when WillRepeat.Contains(errno) => FailureKind.InvalidInput,
            _ => FailureKind.Transient,
        };
}
