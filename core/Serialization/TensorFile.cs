using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Pix2PixZero.Core.Serialization;

/// <summary>
/// The project's binary layout for float data with metadata: 8 magic bytes, a uint32 little-endian header length,
/// a UTF-8 JSON header, then little-endian float32 values. Used for direction means and inverted latents.
/// </summary>
public static class TensorFile
{
    public const int MagicLength = 8;
    private const int MaxHeaderBytes = 64 * 1024;

    public static byte[] Write(ReadOnlySpan<byte> magic, byte[] jsonHeader, ReadOnlySpan<float> values)
    {
        if (magic.Length != MagicLength) throw new ArgumentException($"magic must be {MagicLength} bytes");
        var bytes = new byte[MagicLength + 4 + jsonHeader.Length + 4 * values.Length];
        magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(MagicLength), (uint)jsonHeader.Length);
        jsonHeader.CopyTo(bytes, MagicLength + 4);
        var data = bytes.AsSpan(MagicLength + 4 + jsonHeader.Length);
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(values).CopyTo(data);
        else for (var i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(data[(4 * i)..], values[i]);
        return bytes;
    }

    /// <summary>Splits a file into its JSON header and values; <paramref name="what"/> names it in errors.</summary>
    public static (byte[] Header, float[] Values) Read(byte[] bytes, ReadOnlySpan<byte> magic, string what)
    {
        if (bytes.Length < MagicLength + 4 || !bytes.AsSpan(0, MagicLength).SequenceEqual(magic))
            throw new InvalidDataException($"{what} is not a {System.Text.Encoding.ASCII.GetString(magic)} file (bad magic)");
        var headerLength = (long)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(MagicLength));
        var dataStart = MagicLength + 4 + headerLength;
        if (headerLength > MaxHeaderBytes || dataStart > bytes.Length || (bytes.Length - dataStart) % 4 != 0)
            throw new InvalidDataException($"{what}: header length {headerLength} is invalid or the file is truncated");
        var values = new float[(bytes.Length - dataStart) / 4];
        var data = bytes.AsSpan((int)dataStart);
        if (BitConverter.IsLittleEndian) MemoryMarshal.Cast<byte, float>(data).CopyTo(values);
        else for (var i = 0; i < values.Length; i++) values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
        return (bytes.AsSpan(MagicLength + 4, (int)headerLength).ToArray(), values);
    }
}
