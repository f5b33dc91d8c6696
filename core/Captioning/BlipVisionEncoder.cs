using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Captioning;

/// <summary>
/// BLIP ViT graph: <c>pixel_values</c> [B,3,S,S] → <c>image_embeds</c> [B,N,Dv] (after the final LayerNorm).
/// </summary>
public sealed class BlipVisionEncoder : OnnxModel
{
    private readonly string _pixels;
    private readonly string _embeds;

    public BlipVisionEncoder(InferenceSession session, string modelPath)
        : base(session, modelPath, "vision_encoder")
    {
        _pixels = BlipGraphs.RequireInput(this, "pixel_values", rank: 4, "BLIP vision encoder");
        _embeds = BlipGraphs.RequireOutput(this, "image_embeds", rank: 3, "BLIP vision encoder");
        if (FixedDimension(_pixels, 1) is { } channels && channels != 3)
            throw new ModelBundleException(
                modelPath,
                $"pixel_values has {channels} channels; a BLIP vision encoder takes RGB [B,3,S,S]"
            );
    }

    /// <summary>The input side length the graph declares, when fixed.</summary>
    public int? ImageSize => FixedDimension(_pixels, 2);

    /// <summary>Width Dv of the embeddings, when declared.</summary>
    public int? HiddenSize => Outputs[_embeds].Dimensions[2] > 0 ? Outputs[_embeds].Dimensions[2] : null;

    public DenseTensor<float> Encode(DenseTensor<float> pixelValues) => Run([Input(_pixels, pixelValues)], _embeds)[0];
}
