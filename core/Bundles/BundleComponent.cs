namespace Pix2PixZero.Core.Bundles;

/// <summary>The ONNX graphs of a diffusers ONNX Stable Diffusion folder, by their folder names.</summary>
public static class BundleComponent
{
    public const string TextEncoder = "text_encoder";
    public const string Unet = "unet";
    public const string VaeEncoder = "vae_encoder";
    public const string VaeDecoder = "vae_decoder";
    public const string Captioner = "captioner";

    public static IReadOnlyList<string> Graphs { get; } = [TextEncoder, Unet, VaeEncoder, VaeDecoder];
}
