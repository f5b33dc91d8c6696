using System.Buffers.Binary;
using System.Text.RegularExpressions;

namespace Pix2PixZero.Tests.Inversion;

/// <summary>Locates committed fixtures and shared data from the test binaries, and reads little-endian float32 .npy files.</summary>
internal static partial class FixtureFiles
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string Regularizer(string name) => Path.Combine(RepositoryRoot, "tests", "fixtures", "regularizer", name);

    public static string SharedData(params string[] parts) =>
        Path.GetFullPath(Path.Combine([RepositoryRoot, "..", "shared", "data", .. parts]));

    public static (int[] Shape, float[] Values) ReadNpyFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || System.Text.Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        int headerLength = bytes[6] == 1 ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8)) : (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8));
        int headerStart = bytes[6] == 1 ? 10 : 12;
        string header = System.Text.Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        if (!header.Contains("'descr': '<f4'") || !header.Contains("'fortran_order': False"))
            throw new InvalidDataException($"{path}: expected C-order little-endian float32, header {header}.");
        int[] shape = ShapePattern().Match(header).Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray();
        var values = new float[shape.Aggregate(1, (a, b) => a * b)];
        var data = bytes.AsSpan(headerStart + headerLength);
        for (int i = 0; i < values.Length; i++)
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(data.Slice(4 * i));
        return (shape, values);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pix2PixZero.sln")))
                return dir.FullName;
        throw new InvalidOperationException($"No Pix2PixZero.sln above {AppContext.BaseDirectory}.");
    }

    [GeneratedRegex(@"'shape': \(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
