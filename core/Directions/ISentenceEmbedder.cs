namespace Pix2PixZero.Core.Directions;

/// <summary>
/// A text encoder as the direction code needs it: sentences in, full <c>last_hidden_state</c> out. The CLIP
/// tokenizer + text encoder ONNX implementation lives with the models; this keeps Directions free of ONNX.
/// </summary>
public interface ISentenceEmbedder
{
    /// <summary>Identifies the text encoder; cached means are only reused for the same id.</summary>
    string ModelId { get; }

    /// <summary>Token positions per sentence (77 for CLIP).</summary>
    int SequenceLength { get; }

    /// <summary>Hidden size (768 for SD 1.x).</summary>
    int HiddenSize { get; }

    /// <summary>
    /// Writes E(sentence) for each sentence, [sentences.Count, SequenceLength, HiddenSize] row-major, into
    /// <paramref name="destination"/> (exactly that many floats).
    /// </summary>
    void Embed(IReadOnlyList<string> sentences, Span<float> destination);
}
