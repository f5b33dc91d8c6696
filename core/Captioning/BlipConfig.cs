using System.Text.Json;

namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// The model facts of a captioner folder's <c>config.json</c>: input size and normalisation, vocabulary size and the
/// special ids. Generation settings (prompt, beams, lengths) are in the file for reference, mirroring the
/// transformers call; the product takes them from <see cref="BlipCaptionerOptions"/>.
/// </summary>
public sealed record BlipConfig(
    int ImageSize,
    float[] ImageMean,
    float[] ImageStd,
    int VocabSize,
    long BosTokenId,
    long EosTokenId,
    long PadTokenId
)
{
    public static BlipConfig Load(string path)
    {
        if (!File.Exists(path))
            throw new ModelBundleException(path, "the captioner config.json does not exist");
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new ModelBundleException(path, $"is not valid JSON ({e.Message})", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new ModelBundleException(path, "must hold a JSON object");

        var config = new BlipConfig(
            Int(root, path, "image_size"),
            Triple(root, path, "image_mean"),
            Triple(root, path, "image_std"),
            Int(root, path, "vocab_size"),
            Int(root, path, "bos_token_id"),
            root.TryGetProperty("eos_token_id", out _)
                ? Int(root, path, "eos_token_id")
                : Int(root, path, "sep_token_id"),
            Int(root, path, "pad_token_id")
        );
        if (config.ImageSize is < 16 or > 4096)
            throw new ModelBundleException(path, $"image_size {config.ImageSize} is out of range (BLIP uses 384)");
        if (config.ImageStd.Any(s => !(s > 0)))
            throw new ModelBundleException(path, $"image_std [{string.Join(", ", config.ImageStd)}] must be positive");
        foreach (
            var (name, id) in new[]
            {
                ("bos_token_id", config.BosTokenId),
                ("eos_token_id", config.EosTokenId),
                ("pad_token_id", config.PadTokenId),
            }
        )
            if (id < 0 || id >= config.VocabSize)
                throw new ModelBundleException(
                    path,
                    $"{name} {id} is outside the vocabulary (vocab_size {config.VocabSize})"
                );
        return config;
    }

    private static int Int(JsonElement root, string path, string name) =>
        root.TryGetProperty(name, out var value)
        && value.ValueKind == JsonValueKind.Number
        && value.TryGetInt32(out var i)
            ? i
            : throw new ModelBundleException(path, $"needs an integer \"{name}\"");

    private static float[] Triple(JsonElement root, string path, string name)
    {
        if (
            root.TryGetProperty(name, out var value)
            && value.ValueKind == JsonValueKind.Array
            && value.GetArrayLength() == 3
            && value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.Number)
        )
            return [.. value.EnumerateArray().Select(v => v.GetSingle())];
        throw new ModelBundleException(path, $"needs \"{name}\" as three numbers (R, G, B)");
    }
}
