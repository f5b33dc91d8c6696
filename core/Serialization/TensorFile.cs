using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Pix2PixZero.Core.Serialization;

/// <summary>
/// The project's binary layout for float data with metadata: 8 magic bytes, a uint32 little-endian header length,
/// a UTF-8 JSON header, then little-endian float32 values. Used for direction means and inverted latents.
/// <para>
/// Kept rather than switched to safetensors (decided for issue 16): only this code reads these files. Inverted latents
/// are per-request intermediates that expire with their work folder; direction means are a cache that is recomputed
/// when missing. Parity data flows the other way (Python writes .npy goldens, the tests read them). A switch would buy
/// no reader but cost one: the means already in the shared <c>directions</c> container outlive deployments, so the old
/// format would have to stay readable beside the new one, and safetensors' <c>__metadata__</c> holds strings only, so
/// the typed headers (seed, step count, format version) would be stringified and parsed back. Should Python need a
/// file, <c>numpy.frombuffer(data, "&lt;f4", offset=12 + header_length)</c> reads the values, and the writer alone
/// would change to emit safetensors' u64 header length and <c>{name: {dtype, shape, data_offsets}}</c> header.
/// </para>
/// </summary>
public static class TensorFile
{
    public const int MagicLength = 8;
    private const int MaxHeaderBytes = 64 * 1024;

    public static byte[] Write(ReadOnlySpan<byte> magic, byte[] jsonHeader, ReadOnlySpan<float> values)
    {
        if (magic.Length != MagicLength)
            throw new ArgumentException($"magic must be {MagicLength} bytes");
        var bytes = new byte[MagicLength + 4 + jsonHeader.Length + 4 * values.Length];
        magic.CopyTo(bytes);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(MagicLength), (uint)jsonHeader.Length);
        jsonHeader.CopyTo(bytes, MagicLength + 4);
        var data = bytes.AsSpan(MagicLength + 4 + jsonHeader.Length);
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.AsBytes(values).CopyTo(data);
        else
            for (var i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteSingleLittleEndian(data[(4 * i)..], values[i]);
        return bytes;
    }

    /// <summary>Splits a file into its JSON header and values; <paramref name="what"/> names it in errors.</summary>
    public static (byte[] Header, float[] Values) Read(byte[] bytes, ReadOnlySpan<byte> magic, string what)
    {
        if (bytes.Length < MagicLength + 4 || !bytes.AsSpan(0, MagicLength).SequenceEqual(magic))
            throw new InvalidDataException(
                $"{what} is not a {System.Text.Encoding.ASCII.GetString(magic)} file (bad magic)"
            );
        var headerLength = (long)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(MagicLength));
        var dataStart = MagicLength + 4 + headerLength;
        if (headerLength > MaxHeaderBytes || dataStart > bytes.Length || (bytes.Length - dataStart) % 4 != 0)
            throw new InvalidDataException($"{what}: header length {headerLength} is invalid or the file is truncated");
        var values = new float[(bytes.Length - dataStart) / 4];
        var data = bytes.AsSpan((int)dataStart);
        if (BitConverter.IsLittleEndian)
            MemoryMarshal.Cast<byte, float>(data).CopyTo(values);
        else
            for (var i = 0; i < values.Length; i++)
                values[i] = BinaryPrimitives.ReadSingleLittleEndian(data[(4 * i)..]);
        return (bytes.AsSpan(MagicLength + 4, (int)headerLength).ToArray(), values);
    }
}
