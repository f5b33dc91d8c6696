using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// BLIP text decoder graph (causal BERT with cross-attention and LM head): <c>input_ids</c> [B,L],
/// <c>attention_mask</c> [B,L], <c>encoder_hidden_states</c> [B,N,Dv] → <c>logits</c> [B,L,V]. The graph has no
/// key/value cache, so every generation step recomputes the whole prefix (≤ 30 tokens: cheap next to the UNet).
/// </summary>
public sealed class BlipTextDecoder : OnnxModel
{
    private readonly string _ids;
    private readonly string _mask;
    private readonly string _image;
    private readonly string _logits;

    public BlipTextDecoder(InferenceSession session, string modelPath)
        : base(session, modelPath, "text_decoder")
    {
        const string what = "BLIP text decoder";
        _ids = BlipGraphs.RequireInput(this, "input_ids", rank: 2, what);
        _mask = BlipGraphs.RequireInput(this, "attention_mask", rank: 2, what);
        _image = BlipGraphs.RequireInput(this, "encoder_hidden_states", rank: 3, what);
        _logits = BlipGraphs.RequireOutput(this, "logits", rank: 3, what);
    }

    /// <summary>Vocabulary size V of the logits, when declared.</summary>
    public int? VocabSize => Outputs[_logits].Dimensions[2] > 0 ? Outputs[_logits].Dimensions[2] : null;

    /// <summary>Width Dv of the image embeddings the cross-attention expects, when declared.</summary>
    public int? EncoderHiddenSize => FixedDimension(_image, 2);

    /// <summary>
    /// Logits [B,L,V] for <paramref name="rows"/> sequences of equal length, with an all-ones attention mask.
    /// </summary>
    public DenseTensor<float> Logits(long[] ids, int rows, DenseTensor<float> imageEmbeds)
    {
        if (rows <= 0 || ids.Length % rows != 0)
            throw new ArgumentException($"{ids.Length} token ids do not split into {rows} equal rows");
        if (imageEmbeds.Dimensions[0] != rows)
            throw new ArgumentException($"image embeddings have batch {imageEmbeds.Dimensions[0]}, expected {rows}");
        int[] shape = [rows, ids.Length / rows];
        var mask = new long[ids.Length];
        Array.Fill(mask, 1L);
        return Run([Input(_ids, ids, shape), Input(_mask, mask, shape), Input(_image, imageEmbeds)], _logits)[0];
    }
}
