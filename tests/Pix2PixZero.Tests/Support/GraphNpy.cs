using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;

namespace Pix2PixZero.Tests.Support;

/// <summary>Minimal .npy (v1/v2, little-endian, C order) reader for the graph goldens: f4, f8, i8, i4.</summary>
public static partial class GraphNpy
{
    public sealed record Array(long[] Shape, string Dtype, double[] Values)
    {
        public float[] Floats() => Values.Select(v => (float)v).ToArray();
        public long[] Longs() => Values.Select(v => (long)v).ToArray();
    }

    public static Array Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not a .npy file.");
        var major = bytes[6];
        var headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : (int)BitConverter.ToUInt32(bytes, 8);
        var headerStart = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        var descr = DescrPattern().Match(header).Groups[1].Value;
        if (header.Contains("'fortran_order': True")) throw new InvalidDataException($"{path}: Fortran order is not supported.");
        var shapeText = ShapePattern().Match(header).Groups[1].Value;
        var shape = shapeText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToArray();
        var data = bytes.AsSpan(headerStart + headerLength);
        double[] values = descr switch
        {
            "<f4" => MemoryMarshal.Cast<byte, float>(data).ToArray().Select(v => (double)v).ToArray(),
            "<f8" => MemoryMarshal.Cast<byte, double>(data).ToArray(),
            "<i8" => MemoryMarshal.Cast<byte, long>(data).ToArray().Select(v => (double)v).ToArray(),
            "<i4" => MemoryMarshal.Cast<byte, int>(data).ToArray().Select(v => (double)v).ToArray(),
            _ => throw new InvalidDataException($"{path}: dtype {descr} is not supported."),
        };
        return new Array(shape, descr, values);
    }

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex DescrPattern();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapePattern();
}
