using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// One latent shape's attention probe and guidance sessions (<see cref="GuidanceSessions.Graphs"/>), kept open for the
/// holder until disposed.
/// </summary>
public sealed class LatentGraphs : IDisposable
{
    private readonly SessionsByShape<(int Height, int Width), GuidanceSessions.LoadedGraphs>.Lease _lease;

    internal LatentGraphs(SessionsByShape<(int Height, int Width), GuidanceSessions.LoadedGraphs>.Lease lease) =>
        _lease = lease;

    public int LatentHeight => _lease.Shape.Height;

    public int LatentWidth => _lease.Shape.Width;

    /// <summary>The UNet with its cross-attention maps as outputs.</summary>
    public AttentionProbe AttentionProbe => _lease.Sessions.Probe;

    /// <summary>The cross-attention loss and its gradient with respect to the sample.</summary>
    public GuidanceModel Guidance => _lease.Sessions.Guidance;

    /// <summary>
    /// The UNet's noise prediction as the method runs it: the attention probe, asked for the noise alone.
    /// </summary>
    public INoisePredictor NoisePredictor => AttentionProbe;

    public void Dispose() => _lease.Dispose();
}
