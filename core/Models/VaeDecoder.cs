using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// VAE decoder graph: <c>latent_sample</c> [B,4,h,w] (already divided by the scaling factor) → image in [-1,1].
/// </summary>
public sealed class VaeDecoder : OnnxModel
{
    private readonly string _latent;
    private readonly string _image;

    public VaeDecoder(InferenceSession session, string modelPath)
        : base(session, modelPath, "vae_decoder")
    {
        _latent = RequireInput("latent_sample");
        _image = RequireOutput("sample");
    }

    public DenseTensor<float> Decode(DenseTensor<float> latents)
    {
        var rows = latents.Dimensions[0];
        var rowSize = (int)(latents.Length / rows);
        var dims = latents.Dimensions.ToArray();
        return RowBatches.Run(rows, FixedDimension(_latent, 0), chosen =>
        {
            dims[0] = chosen.Length;
            return Run([Input(_latent, RowBatches.Gather(latents.Buffer, rowSize, chosen), dims)], _image)[0];
        });
    }
}
