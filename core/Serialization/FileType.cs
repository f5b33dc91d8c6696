using System.Runtime.InteropServices;

namespace Pix2PixZero.Core.Serialization;

/// <summary>What a path leads to once symbolic links are followed.</summary>
public enum FileType
{
    Missing,
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
}

/// <summary>
/// The type of a path's final target, read without opening it: opening a FIFO blocks until a writer comes (a
/// process that ignores SIGTERM while it waits), and a device such as <c>/dev/zero</c> reports length 0 however
/// much it gives. .NET exposes no file type beyond "directory", so on Linux this asks <c>statx(2)</c>, whose record
/// has one layout on every architecture; elsewhere every existing non-folder counts as regular (reads of user files
/// are bounded anyway).
/// </summary>
public static partial class FileTypes
{
    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;
    private const int StatxSize = 256;
    private const int ModeOffset = 28;

    public static FileType Of(string path)
    {
        if (!OperatingSystem.IsLinux())
            return Directory.Exists(path) ? FileType.Directory
                : File.Exists(path) ? FileType.Regular
                : FileType.Missing;
        Span<byte> record = stackalloc byte[StatxSize];
        if (Statx(AtFdCwd, path, 0, StatxType, ref MemoryMarshal.GetReference(record)) != 0)
            return FileType.Missing;
        return (BitConverter.ToUInt16(record[ModeOffset..]) & 0xF000) switch
        {
            0x8000 => FileType.Regular,
            0x4000 => FileType.Directory,
            0x1000 => FileType.Fifo,
            0x2000 => FileType.CharacterDevice,
            0x6000 => FileType.BlockDevice,
            0xC000 => FileType.Socket,
            _ => FileType.Missing,
        };
    }

    /// <summary>How messages name a type: "a named pipe (FIFO)", "a device", "a socket", "a folder".</summary>
    public static string Describe(FileType type) =>
        type switch
        {
            FileType.Fifo => "a named pipe (FIFO)",
            FileType.CharacterDevice or FileType.BlockDevice => "a device",
            FileType.Socket => "a socket",
            FileType.Directory => "a folder",
            FileType.Regular => "a file",
            _ => "nothing",
        };

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Statx(int directory, string path, int flags, uint mask, ref byte record);
}
