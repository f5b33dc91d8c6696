namespace Pix2PixZero.Core.Serialization;

/// <summary>
/// The file a path leads to once symbolic links are followed. The Hugging Face cache lays a model out as links
/// (<c>snapshots/{commit}/unet/weights.pb → ../../../blobs/{sha256}</c>), and a link's own
/// <see cref="FileInfo.Length"/> is the length of the path it holds, so checks of a file's size read its final target.
/// A dangling link still passes <see cref="File.Exists"/>, so absence is judged here too.
/// </summary>
public static class FileTarget
{
    /// <summary>
    /// The file at the end of <paramref name="path"/>'s chain of links (the file itself when it is none), or null when
    /// no file is there: a missing path, a folder, a link to nothing or a loop of links.
    /// </summary>
    public static FileInfo? Resolve(string path)
    {
        var file = new FileInfo(path);
        if (file.LinkTarget is null)
            return file.Exists ? file : null;
        try
        {
            return file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target : null;
        }
        catch (IOException)
        {
            return null; // a loop of links: "Too many levels of symbolic links"
        }
    }

    /// <summary>
    /// <paramref name="path"/> made absolute with every symbolic link on the way followed (POSIX realpath): what
    /// ONNX Runtime compares when it checks that a graph's external data lies inside the graph's folder.
    /// </summary>
    public static string RealPath(string path) => RealPath(path, depth: 0);

    private static string RealPath(string path, int depth)
    {
        var full = Path.GetFullPath(path);
        var root = Path.GetPathRoot(full)!;
        var current = root;
        foreach (
            var part in full[root.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries)
        )
        {
            current = Path.Combine(current, part);
            if (depth < 40 && new FileInfo(current).LinkTarget is { } target)
                current = RealPath(Path.Combine(Path.GetDirectoryName(current)!, target), depth + 1);
        }
        return current;
    }

    /// <summary>Whether <paramref name="path"/> lies inside <paramref name="folder"/> (absolute, as given).</summary>
    public static bool IsUnder(string path, string folder) =>
        path.StartsWith(
            Path.EndsInDirectorySeparator(folder) ? folder : folder + Path.DirectorySeparatorChar,
            StringComparison.Ordinal
        );

    /// <summary>
    /// For a symbolic link that leads to no file, what it points at and what to do, as words that follow the path in
    /// a message; null when <paramref name="path"/> is not a link.
    /// </summary>
    public static string? DanglingLink(string path) =>
        new FileInfo(path).LinkTarget is { } target
            ? $"is a symbolic link to '{target}', which leads to no file; "
                + "restore the file it points to or replace the link with the file"
            : null;
}
