using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// Text → CLIP <c>last_hidden_state</c> [77, d] (DESIGN.md §1.2 step 3): the bundle's tokenizer and text encoder.
/// Also the sentence embedder behind edit directions, identified by the text encoder file's content hash.
/// </summary>
public sealed class PromptEncoder(ModelBundle bundle) : ISentenceEmbedder
{
    private const int BatchSize = 16;
    private const string TextEncoderStage = "text encoder";
    private readonly Lazy<string> _modelId = new(() =>
        "text_encoder:" + FileDigest.Sha256(bundle.GraphPath(BundleComponent.TextEncoder))[..16]
    );

    public string ModelId => _modelId.Value;

    public int SequenceLength => bundle.TextEncoder.SequenceLength;

    public int HiddenSize => bundle.TextEncoder.HiddenSize ?? Encode("").Length / SequenceLength;

    /// <summary>
    /// The text's embedding; NaN or ±∞ in it (corrupt text-encoder weights) stops the run here, named as the text
    /// encoder's, instead of surfacing as the first inversion step's.
    /// </summary>
    public float[] Encode(string text)
    {
        var embedding = bundle.TextEncoder.Encode(bundle.Tokenizer.Encode(text), 1).Buffer.ToArray();
        NonFiniteCheck.Values(embedding, TextEncoderStage);
        return embedding;
    }

    public void Embed(IReadOnlyList<string> sentences, Span<float> destination)
    {
        var rowSize = SequenceLength * HiddenSize;
        if (destination.Length != sentences.Count * rowSize)
            throw new ArgumentException(
                $"{sentences.Count} sentences need {sentences.Count * rowSize} floats, got {destination.Length}"
            );
        for (var start = 0; start < sentences.Count; start += BatchSize)
        {
            var batch = sentences.Skip(start).Take(BatchSize).ToArray();
            var ids = batch.SelectMany(bundle.Tokenizer.Encode).ToArray();
            var embeddings = bundle.TextEncoder.Encode(ids, batch.Length).Buffer.Span;
            NonFiniteCheck.Values(embeddings, TextEncoderStage);
            embeddings.CopyTo(destination[(start * rowSize)..]);
        }
    }
}
