using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Filesystem cache of per-word means, one file per (model id, word, sentence-set hash):
/// <c>{root}/{model-slug}-{sha256(model id)[..12]}/{word-slug}-{sentence hash}.p2pzmean</c>.
/// File format: 8 bytes "P2PZMEAN", uint32 little-endian header length, a UTF-8 JSON header
/// (<c>format, dtype "float32", shape [rows, d], modelId, word, sentenceCount, sentenceSetHash</c>), then rows·d
/// little-endian float32. Writes go to a temporary file in the same folder and are moved over the target, so a
/// reader sees the old file or the new one, never a partial one.
/// </summary>
public sealed partial class DirectionStore
{
    public const string Extension = ".p2pzmean";
    private const int FormatVersion = 1;
    private static ReadOnlySpan<byte> Magic => "P2PZMEAN"u8;

    public DirectionStore(string rootDirectory)
    {
        if (string.IsNullOrWhiteSpace(rootDirectory))
            throw new ArgumentException("The direction store needs a folder.", nameof(rootDirectory));
        RootDirectory = Path.GetFullPath(rootDirectory);
    }

    public string RootDirectory { get; }

    public string PathFor(string modelId, EditWord word, string sentenceSetHash) =>
        Path.Combine(RootDirectory, ModelFolder(modelId), FileName(word, sentenceSetHash));

    /// <summary>
    /// The folder of one model's means: the id made file-name-safe, then 12 hex digits of its SHA-256, so that ids
    /// which slug alike ("a/b", "a_b") stay apart.
    /// </summary>
    public static string ModelFolder(string modelId) =>
        $"{Slug(modelId)}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(modelId)))[..12]}";

    /// <summary>The file of one word's mean over one sentence set, inside its <see cref="ModelFolder"/>.</summary>
    public static string FileName(EditWord word, string sentenceSetHash) =>
        $"{Slug(word.Value)}-{Slug(sentenceSetHash)}{Extension}";

    public void Save(WordMean mean)
    {
        ArgumentNullException.ThrowIfNull(mean);
        string path = PathFor(mean.ModelId, mean.Word, mean.SentenceSetHash);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        AtomicFile.Write(path, stream => Write(stream, mean));
    }

    public bool TryLoad(string modelId, EditWord word, string sentenceSetHash, out WordMean? mean)
    {
        string path = PathFor(modelId, word, sentenceSetHash);
        mean = null;
        if (!File.Exists(path))
            return false;
        mean = Read(path);
        if (mean.ModelId != modelId || mean.Word != word || mean.SentenceSetHash != sentenceSetHash)
            throw new InvalidInputException(
                $"{path} holds the mean of \"{mean.Word}\" for {mean.ModelId} "
                    + $"(sentences {mean.SentenceSetHash}), not \"{word}\" for {modelId}; delete the file."
            );
        return true;
    }

    /// <summary>
    /// Reads one cache file, checking magic, header and length; errors name the file and what is wrong.
    /// </summary>
    public static WordMean Read(string path)
    {
        byte[] headerBytes;
        float[] values;
        try
        {
            (headerBytes, values) = TensorFile.Read(File.ReadAllBytes(path), Magic, path);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidInputException($"{e.Message}; delete it to recompute.", e);
        }
        Header header;
        try
        {
            header = JsonSerializer.Deserialize(headerBytes, HeaderJson.Default.Header)
                ?? throw new InvalidInputException($"{path}: empty header.");
        }
        catch (JsonException e)
        {
            throw new InvalidInputException($"{path}: unreadable header ({e.Message}); delete it to recompute.", e);
        }
        if (header.Format != FormatVersion || header.Dtype != "float32" || header.Shape is not [> 0, > 0])
            throw new InvalidInputException(
                $"{path}: unsupported format {header.Format}, dtype {header.Dtype} "
                    + $"or shape; expected format {FormatVersion}, float32, [rows, d]."
            );
        long expectedValues = (long)header.Shape[0] * header.Shape[1];
        if (values.Length != expectedValues)
            throw new InvalidInputException(
                $"{path}: {4L * values.Length} data bytes, [{header.Shape[0]}, {header.Shape[1]}] "
                    + $"float32 needs {4 * expectedValues}; delete it to recompute."
            );
        return new WordMean(
            header.ModelId,
            EditWord.Parse(header.Word),
            header.Shape[0],
            header.Shape[1],
            values,
            header.SentenceCount,
            header.SentenceSetHash
        );
    }

    private static void Write(Stream stream, WordMean mean)
    {
        var header = new Header(
            FormatVersion,
            "float32",
            [mean.Rows, mean.Width],
            mean.ModelId,
            mean.Word.Value,
            mean.SentenceCount,
            mean.SentenceSetHash
        );
        stream.Write(
            TensorFile.Write(Magic, JsonSerializer.SerializeToUtf8Bytes(header, HeaderJson.Default.Header), mean.Values)
        );
    }

    /// <summary>File-name-safe text: ASCII letters, digits, '.', '-' and '_' kept, everything else '_'.</summary>
    private static string Slug(string text)
    {
        var builder = new StringBuilder(text.Length);
        foreach (char c in text)
            builder.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_');
        return builder.ToString();
    }

    internal sealed record Header(
        [property: JsonPropertyName("format")] int Format,
        [property: JsonPropertyName("dtype")] string Dtype,
        [property: JsonPropertyName("shape")] int[] Shape,
        [property: JsonPropertyName("modelId")] string ModelId,
        [property: JsonPropertyName("word")] string Word,
        [property: JsonPropertyName("sentenceCount")] int SentenceCount,
        [property: JsonPropertyName("sentenceSetHash")] string SentenceSetHash
    );

    [JsonSerializable(typeof(Header))]
    internal sealed partial class HeaderJson : JsonSerializerContext;
}
