namespace Pix2PixZero.Core.Scheduling;

/// <summary>How DDIM inversion walks the schedule upward (DESIGN.md §1.1). Recorded in output metadata.</summary>
public enum InversionConvention
{
    /// <summary>
    /// UNet at t = 1, 21, …, 981; step k moves ᾱ[t−Δ] (ᾱ[0] first) → ᾱ[t], ending where denoising starts.
    /// </summary>
    Aligned,

    /// <summary>The public pix2pix-zero code: UNet at t = 21, …, 961 (steps − 2 calls), ᾱ[t−1] → ᾱ[t+Δ−1].</summary>
    Official,
}

/// <summary>
/// One upward step: the UNet is evaluated at <see cref="Timestep"/>, the latent moves between the two ᾱ.
/// </summary>
public readonly record struct InversionStep(int Timestep, float AlphaCumprodFrom, float AlphaCumprodTo);
