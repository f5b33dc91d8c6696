using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Functions.Hosting;

/// <summary>
/// The worker's one model bundle and pipeline: sessions are created on first use and shared by every activity;
/// <see cref="EnterAsync"/> bounds how many model activities run at once (<see cref="PipelineSettings.ModelConcurrency"/>).
/// </summary>
public sealed class ModelHost : IDisposable
{
    private readonly Lazy<(ModelBundle Bundle, Pix2PixZeroPipeline Pipeline)> _model;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _hashes;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(2);
    private readonly SemaphoreSlim _gate;
    private readonly int _slots;
    private int _running;
    private int _peak;

    public ModelHost(PipelineSettings settings, ILoggerFactory loggers)
    {
        _slots = settings.ModelConcurrency;
        _gate = new SemaphoreSlim(_slots, _slots);
        _model = new(() =>
        {
            var bundle = ModelBundle.Open(settings.ModelDirectory, new OnnxSessionFactory(ExecutionProvider.Auto, loggers.CreateLogger("Pix2PixZero.Onnx")));
            return (bundle, new Pix2PixZeroPipeline(bundle, loggers.CreateLogger("Pix2PixZero.Pipeline")));
        });
        _hashes = new(() => HashGraphs(Bundle));
        LocalDirections = new DirectionStore(settings.DirectionCache);
    }

    public ModelBundle Bundle => _model.Value.Bundle;

    public Pix2PixZeroPipeline Pipeline => _model.Value.Pipeline;

    /// <summary>The text encoder's id: word means and inverted latents are only reused with the same one.</summary>
    public string ModelId => Pipeline.Prompts.ModelId;

    /// <summary>"Cuda" or "Cpu" once a session exists.</summary>
    public string Provider => Bundle.Sessions.ActiveProvider?.ToString() ?? "not loaded";

    /// <summary>SHA-256 of every graph and external-weights file of the bundle, by path relative to the model folder.</summary>
    public IReadOnlyDictionary<string, string> Hashes => _hashes.Value;

    /// <summary>Word means computed or downloaded by this worker, in core's file format.</summary>
    public DirectionStore LocalDirections { get; }

    /// <summary>The most model activities that ran at once in this worker so far.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    /// <summary>Waits for a model slot; disposing the result frees it.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        var running = Interlocked.Increment(ref _running);
        for (int peak = Volatile.Read(ref _peak); running > peak; peak = Volatile.Read(ref _peak))
            Interlocked.CompareExchange(ref _peak, running, peak);
        return new Slot(this);
    }

    /// <summary>
    /// Waits for running model work (a stopping worker cancels it at its next step) before freeing the sessions:
    /// freeing a session during a run crashes the process. Work that does not end in time keeps its sessions.
    /// </summary>
    public void Dispose()
    {
        if (!_model.IsValueCreated) return;
        for (var slot = 0; slot < _slots; slot++)
            if (!_gate.Wait(DrainTimeout))
                return;
        _model.Value.Pipeline.Dispose();
        _model.Value.Bundle.Dispose();
    }

    // Hashed once per worker: a manifest names the exact weights a result came from.
    private static Dictionary<string, string> HashGraphs(ModelBundle bundle)
    {
        var files = Directory.EnumerateFiles(bundle.Directory, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is "model.onnx" or "weights.pb" || Path.GetDirectoryName(f) == bundle.CaptionerDirectory && f.EndsWith(".onnx", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            using var stream = File.OpenRead(file);
            hashes[Path.GetRelativePath(bundle.Directory, file).Replace('\\', '/')] = Convert.ToHexStringLower(SHA256.HashData(stream));
        }
        return hashes;
    }

    private sealed class Slot(ModelHost host) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
            Interlocked.Decrement(ref host._running);
            host._gate.Release();
        }
    }
}
