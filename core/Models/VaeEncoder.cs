using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>
/// VAE encoder graph: image [B,3,H,W] in [-1,1] → the <b>posterior mean</b> [B,c,h,w] (unscaled). Graphs that
/// output the moments (2c channels) are sliced; graphs that sample internally are rewritten by
/// <see cref="PosteriorMeanRewriter"/> before the session is created, so encoding is deterministic.
/// </summary>
public sealed class VaeEncoder : OnnxModel
{
    private readonly string _image;
    private readonly string _latent;

    public VaeEncoder(InferenceSession session, string modelPath, int latentChannels, bool rewrittenFromSampling)
        : base(session, modelPath, "vae_encoder")
    {
        _image = RequireInput("sample");
        _latent = RequireOutput("latent_sample", "latent_dist", "mean");
        LatentChannels = latentChannels;
        RewrittenFromSampling = rewrittenFromSampling;
    }

    public int LatentChannels { get; }

    /// <summary>True when the exported graph sampled the latent and was rewritten to return the mean.</summary>
    public bool RewrittenFromSampling { get; }

    public DenseTensor<float> EncodeMean(DenseTensor<float> image)
    {
        var rows = image.Dimensions[0];
        var rowSize = (int)(image.Length / rows);
        var dims = image.Dimensions.ToArray();
        var output = RowBatches.Run(rows, FixedDimension(_image, 0), chosen =>
        {
            dims[0] = chosen.Length;
            return Run([Input(_image, RowBatches.Gather(image.Buffer, rowSize, chosen), dims)], _latent)[0];
        });
        var channels = output.Dimensions[1];
        if (channels == LatentChannels)
            return output;
        if (channels == 2 * LatentChannels)
            return FirstHalfOfChannels(output);
        throw new ModelBundleException(
            ModelPath,
            $"the encoder returns {channels} channels; expected {LatentChannels} "
                + $"(the mean) or {2 * LatentChannels} (mean and log-variance)"
        );
    }

    private static DenseTensor<float> FirstHalfOfChannels(DenseTensor<float> moments)
    {
        var d = moments.Dimensions.ToArray();
        var plane = d[2] * d[3];
        var half = d[1] / 2;
        var result = new DenseTensor<float>([d[0], half, d[2], d[3]]);
        for (var b = 0; b < d[0]; b++)
            moments.Buffer.Span.Slice(b * d[1] * plane, half * plane).CopyTo(result.Buffer.Span[(b * half * plane)..]);
        return result;
    }
}
