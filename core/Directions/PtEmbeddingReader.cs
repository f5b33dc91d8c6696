using System.Buffers.Binary;
using System.IO.Compression;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Reads a single tensor saved by <c>torch.save</c> in the zip format (PyTorch ≥ 1.6): <c>{archive}/data.pkl</c>
/// describes the tensor (see <see cref="TorchPickleReader"/>), <c>{archive}/data/{key}</c> holds the raw storage,
/// little-endian. This is how the public pix2pix-zero per-word means (<c>embeddings_sd_1.4/*.pt</c>, [1,77,768],
/// float32 or float16) are imported; nothing in the file is executed.
/// </summary>
public static class PtEmbeddingReader
{
    private const long MaxElements = 64L * 1024 * 1024;

    /// <summary>
    /// Imports a per-word mean ([1, rows, d] or [rows, d]) as a <see cref="WordMean"/> for <paramref name="modelId"/>;
    /// its sentence set is unknown, so it is keyed by the file's content: "pt:" + SHA-256 of the file.
    /// </summary>
    public static WordMean ReadWordMean(string path, EditWord word, string modelId)
    {
        var tensor = Read(path);
        int[] shape = tensor.Shape is [1, _, _] ? tensor.Shape[1..] : tensor.Shape;
        if (shape is not [> 0, > 0])
            throw new InvalidInputException(
                $"{path}: a word mean must have shape [1, 77, d] or [77, d]; "
                    + $"this tensor is [{string.Join(", ", tensor.Shape)}]."
            );
        string hash =
            "pt:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        return new WordMean(modelId, word, shape[0], shape[1], tensor.Values, sentenceCount: 0, hash);
    }

    public static PtTensor Read(string path)
    {
        if (!File.Exists(path))
            throw new InvalidInputException($"No embedding file at {path}.");
        ZipArchive archive;
        try
        {
            archive = ZipFile.OpenRead(path);
        }
        catch (InvalidDataException)
        {
            throw new InvalidInputException(
                $"{path} is not a zip-format .pt file; re-save it with torch.save from PyTorch 1.6 or later."
            );
        }
        using (archive)
        {
            var pickleEntries = archive
                .Entries.Where(e =>
                    e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl"
                )
                .ToList();
            if (pickleEntries.Count != 1)
                throw new InvalidInputException(
                    $"{path}: expected one data.pkl in the archive, found {pickleEntries.Count}."
                );
            string prefix = pickleEntries[0].FullName[..^"data.pkl".Length];
            var byteOrder = archive.GetEntry(prefix + "byteorder");
            if (
                byteOrder is not null
                && ReadAll(byteOrder) is var order
                && System.Text.Encoding.ASCII.GetString(order) != "little"
            )
                throw new InvalidInputException($"{path}: storage byte order is not little-endian.");

            var tensor = TorchPickleReader.ReadTensor(ReadAll(pickleEntries[0]), path);
            var (dtype, elementSize) = StorageFormat(tensor.StorageType, path);
            var storageEntry = archive.GetEntry($"{prefix}data/{tensor.StorageKey}")
                ?? throw new InvalidInputException(
                    $"{path}: storage data/{tensor.StorageKey} is missing from the archive."
                );
            if (
                tensor.StorageElements is < 0 or > MaxElements
                || storageEntry.Length != tensor.StorageElements * elementSize
            )
                throw new InvalidInputException(
                    $"{path}: storage data/{tensor.StorageKey} "
                        + $"has {storageEntry.Length} bytes; {tensor.StorageElements} "
                        + $"{dtype} values need {tensor.StorageElements * elementSize}."
                );
            var storage = ReadAll(storageEntry);
            return new PtTensor(tensor.Shape, Gather(tensor, storage, elementSize, path), dtype);
        }
    }

    private static float[] Gather(
        TorchPickleReader.TensorReference tensor,
        byte[] storage,
        int elementSize,
        string path
    )
    {
        long count = 1,
            last = tensor.Offset;
        for (int d = 0; d < tensor.Shape.Length; d++)
        {
            if (tensor.Shape[d] < 0 || tensor.Strides[d] < 0)
                throw new InvalidInputException($"{path}: negative size or stride in dimension {d}.");
            count *= tensor.Shape[d];
            last += (tensor.Shape[d] - 1L) * tensor.Strides[d];
        }
        if (count > MaxElements)
            throw new InvalidInputException(
                $"{path}: {count} values is more than an embedding file should hold ({MaxElements})."
            );
        if (count > 0 && (tensor.Offset < 0 || last >= tensor.StorageElements))
            throw new InvalidInputException(
                $"{path}: the tensor view reaches past its storage of {tensor.StorageElements} values."
            );

        var values = new float[count];
        var index = new int[tensor.Shape.Length];
        for (long i = 0; i < count; i++)
        {
            long element = tensor.Offset;
            for (int d = 0; d < index.Length; d++)
                element += index[d] * tensor.Strides[d];
            values[i] = Decode(storage.AsSpan((int)(element * elementSize), elementSize));
            for (int d = index.Length - 1; d >= 0 && ++index[d] == tensor.Shape[d]; d--)
                index[d] = 0;
        }
        return values;
    }

    private static float Decode(ReadOnlySpan<byte> bytes) =>
        bytes.Length switch
        {
            4 => BinaryPrimitives.ReadSingleLittleEndian(bytes),
            2 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes),
            8 => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes),
            _ => throw new InvalidOperationException($"No decoder for {bytes.Length}-byte values."),
        };

    private static (string Dtype, int ElementSize) StorageFormat(string storageType, string path) =>
        storageType switch
        {
            "FloatStorage" => ("float32", 4),
            "HalfStorage" => ("float16", 2),
            "DoubleStorage" => ("float64", 8),
            _ => throw new InvalidInputException(
                $"{path}: {storageType} is not supported; embeddings must be float32, float16 or float64."
            ),
        };

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
