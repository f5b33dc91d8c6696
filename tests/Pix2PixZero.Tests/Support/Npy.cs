using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// Reads the little-endian, C-order .npy goldens written by tests/fixtures/generate.py and
/// tests/fixtures/generate_graphs.py (format 1.0/2.0; f2, f4, f8, i4, i8).
/// </summary>
public static partial class Npy
{
    public sealed record Array(string Dtype, int[] Shape, byte[] Data)
    {
        public float[] Floats() =>
            Dtype switch
            {
                "<f4" => MemoryMarshalCast<float>(),
                "<f2" => MemoryMarshalCast<Half>().Select(h => (float)h).ToArray(),
                "<f8" => MemoryMarshalCast<double>().Select(d => (float)d).ToArray(),
                _ => throw new InvalidDataException($"dtype {Dtype} is not a float type"),
            };

        public long[] Longs() =>
            Dtype switch
            {
                "<i8" => MemoryMarshalCast<long>(),
                "<i4" => MemoryMarshalCast<int>().Select(i => (long)i).ToArray(),
                _ => throw new InvalidDataException($"dtype {Dtype} is not an integer type"),
            };

        /// <summary>The values at full precision (f8 goldens such as losses keep their digits).</summary>
        public double[] Doubles() =>
            Dtype switch
            {
                "<f8" => MemoryMarshalCast<double>(),
                "<i8" or "<i4" => Longs().Select(v => (double)v).ToArray(),
                _ => Floats().Select(v => (double)v).ToArray(),
            };

        public long[] LongShape => Shape.Select(d => (long)d).ToArray();

        public DenseTensor<float> Tensor() => new(Floats(), Shape);

        private T[] MemoryMarshalCast<T>()
            where T : struct => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, T>(Data).ToArray();
    }

    public static Array Read(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path} is not an .npy file");
        var major = bytes[6];
        var headerLength = major == 1 ? BitConverter.ToUInt16(bytes, 8) : (int)BitConverter.ToUInt32(bytes, 8);
        var headerStart = major == 1 ? 10 : 12;
        var header = Encoding.ASCII.GetString(bytes, headerStart, headerLength);
        var dtype = Descr().Match(header).Groups[1].Value;
        if (header.Contains("'fortran_order': True"))
            throw new InvalidDataException($"{path} is Fortran-ordered");
        var shape = ShapeTuple()
            .Match(header)
            .Groups[1]
            .Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(int.Parse)
            .ToArray();
        return new Array(dtype, shape, bytes[(headerStart + headerLength)..]);
    }

    public static Array Golden(string name) => Read(Path.Combine(RepoPaths.Goldens, name));

    [GeneratedRegex(@"'descr':\s*'([^']+)'")]
    private static partial Regex Descr();

    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")]
    private static partial Regex ShapeTuple();
}
