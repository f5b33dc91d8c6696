using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Models;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Pipeline;

/// <summary>
/// The lifetime of the sessions the method runs the UNet through (DESIGN.md §2): the guidance graphs are compiled (or
/// taken from the cache beside the UNet or in the graph cache) on first use; their sessions are created for one latent
/// shape each and the most recently used shapes' are kept (<see cref="SessionsByShape{TShape,TSessions}"/>). The
/// attention probe also serves the plain noise predictions, and the probe and guidance sessions read one shared copy
/// of the UNet's weights (<see cref="SharedWeights"/>), so the bundle's plain UNet session is never opened for an edit.
/// </summary>
public sealed class GuidanceSessions : IDisposable
{
    /// <summary>
    /// Latent shapes whose sessions are kept unless told otherwise: one, as on a GPU each shape's sessions cost
    /// gigabytes at full size (README, "Photo sizes").
    /// </summary>
    public const int DefaultShapes = 1;

    private readonly ModelBundle _bundle;
    private readonly ILogger _log;
    private readonly SharedWeights _weights = new();
    private readonly SessionsByShape<(int Height, int Width), LoadedGraphs> _graphs;

    /// <param name="shapes">
    /// How many latent shapes' probe and guidance sessions are kept for reuse (README, "Photo sizes", for the memory
    /// each takes).
    /// </param>
    public GuidanceSessions(ModelBundle bundle, ILogger? log = null, int shapes = DefaultShapes)
    {
        _bundle = bundle;
        _log = log ?? NullLogger.Instance;
        _graphs = new(shapes, shape => Load(shape.Height, shape.Width));
    }

    /// <summary>
    /// The attention probe and guidance sessions for latents of one shape (compiling the graphs on first use), held
    /// until the result is disposed.
    /// </summary>
    public LatentGraphs Graphs(int latentHeight, int latentWidth) => new(_graphs.Acquire((latentHeight, latentWidth)));

    /// <summary>The latent shapes whose sessions are kept now, most recently used first.</summary>
    public IReadOnlyList<(int Height, int Width)> Shapes => _graphs.Shapes;

    /// <summary>
    /// Compiles the guidance graphs of the bundle's UNet, or takes them from where they were compiled before (beside
    /// it, or the bundle's <see cref="GraphCache"/>), without opening sessions for them.
    /// </summary>
    public PreparedUnetGraphs Prepare(bool force = false) =>
        GuidanceGraphCompiler.Prepare(
            _bundle.GraphPath(BundleComponent.Unet),
            _log,
            new GuidanceCompileOptions(Force: force, Cache: _bundle.GraphCache)
        );

    public void Dispose()
    {
        _graphs.Dispose();
        _weights.Dispose();
    }

    // Sessions with the latent's sizes fixed: ONNX Runtime plans a dynamic graph far faster so.
    private LoadedGraphs Load(int latentHeight, int latentWidth)
    {
        var graphs = Prepare();
        var layers = graphs.Layers.Count;
        var signature = _bundle.UnetSignature;
        var tokens = _bundle.TextEncoder.SequenceLength;
        // The probe runs the inversion (batch 1) and the CFG pairs (batch 2). The guidance graph runs the pairs one
        // row at a time when the export lets it (half the memory of its reverse pass), else the pair at once.
        var probeSizes = signature.FixedDimensions(batch: null, latentHeight, latentWidth, tokens);
        int? guidanceRows = signature.FixedBatch is null ? 1 : null;
        var guidanceSizes = signature.FixedDimensions(batch: guidanceRows ?? 2, latentHeight, latentWidth, tokens);
        var probe = new AttentionProbe(
            _bundle.Sessions.Create(graphs.AttentionProbePath, _weights, probeSizes, graphs.SourceModelPath),
            graphs.AttentionProbePath,
            layers
        )
        {
            DeviceMemory = _bundle.Sessions.DeviceMemory,
        };
        try
        {
            var guidance = new GuidanceModel(
                _bundle.Sessions.Create(graphs.GuidancePath, _weights, guidanceSizes, graphs.SourceModelPath),
                graphs.GuidancePath,
                layers,
                guidanceRows
            )
            {
                DeviceMemory = _bundle.Sessions.DeviceMemory,
            };
            return new LoadedGraphs(probe, guidance);
        }
        catch
        {
            probe.Dispose();
            throw;
        }
    }

    internal sealed record LoadedGraphs(AttentionProbe Probe, GuidanceModel Guidance) : IDisposable
    {
        public void Dispose()
        {
            Probe.Dispose();
            Guidance.Dispose();
        }
    }
}
