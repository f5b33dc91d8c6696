namespace Pix2PixZero.Core.Serialization;

/// <summary>
/// Files written so that readers, and other writers racing for the same path (two workers compiling the same
/// guidance graphs on a shared model folder), see the old file or the whole new one, never a partial one: the
/// content goes to a uniquely named temporary file beside the target, is flushed, and replaces it by one rename.
/// </summary>
public static class AtomicFile
{
    private const string TemporarySuffix = ".tmp";

    /// <summary>
    /// Whether <paramref name="fileName"/> is one of the temporary files a write in progress leaves beside its target.
    /// </summary>
    public static bool IsTemporary(string fileName) =>
        fileName.StartsWith('.') && fileName.EndsWith(TemporarySuffix, StringComparison.Ordinal);

    public static void Write(string path, Action<Stream> write)
    {
        var temporary = Path.Combine(
            Path.GetDirectoryName(Path.GetFullPath(path))!,
            $".{Path.GetFileName(path)}.{Guid.NewGuid():N}{TemporarySuffix}"
        );
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static void WriteAllBytes(string path, byte[] bytes) => Write(path, stream => stream.Write(bytes));

    public static void WriteAllText(string path, string text) =>
        WriteAllBytes(path, System.Text.Encoding.UTF8.GetBytes(text));
}
