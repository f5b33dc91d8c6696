using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;
using Pix2PixZero.Core.Bundles;
using Pix2PixZero.Core.Directions;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Hub;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Functions.Hosting;

/// <summary>
/// The worker's one model bundle and pipeline: sessions are created on first use and shared by every activity;
/// <see cref="EnterAsync"/> bounds how many model activities run at once (<see cref="AppSettings.ModelConcurrency"/>).
/// The bundle is loaded by <see cref="LoadAsync"/>: the model folder is used as it is, or pulled into on first start
/// when <c>Pix2PixZero__ModelPull</c> names a model (core's <see cref="ModelFolderProvisioner"/>).
/// </summary>
public sealed class ModelHost : IDisposable
{
    private sealed record LoadedModel(ModelBundle Bundle, Pix2PixZeroPipeline Pipeline);

    private static readonly TimeSpan DrainTimeout = TimeSpan.FromMinutes(2);
    private readonly ModelFolderProvisioner _provisioner;
    private readonly ILoggerFactory _loggers;
    private readonly CancellationToken _stopping;
    private readonly Lazy<IReadOnlyDictionary<string, string>> _hashes;
    private readonly GraphCache _graphCache;
    private readonly Lock _loadLock = new();
    private readonly SemaphoreSlim _gate;
    private readonly int _slots;
    private readonly int _sessionShapes;
    private readonly ExecutionProvider _provider;
    private readonly CudaOptions _cuda;
    private Task<LoadedModel>? _loading;
    private int _running;
    private int _peak;

    public ModelHost(
        AppSettings settings,
        ModelProvisioningOptions provisioning,
        ILoggerFactory loggers,
        IHostApplicationLifetime lifetime
    )
    {
        _slots = settings.ModelConcurrency;
        _sessionShapes = settings.SessionShapes;
        _provider = settings.RequireGpu ? ExecutionProvider.Cuda : ExecutionProvider.Auto;
        _cuda = settings.Cuda;
        _gate = new SemaphoreSlim(_slots, _slots);
        _provisioner = new ModelFolderProvisioner(provisioning, loggers.CreateLogger("Pix2PixZero.Models"));
        _loggers = loggers;
        _stopping = lifetime.ApplicationStopping;
        _hashes = new(() => HashGraphs(Bundle));
        _graphCache = new GraphCache(settings.GraphCache);
        LocalDirections = new DirectionStore(settings.DirectionCache);
    }

    /// <summary>
    /// Whether <see cref="LoadAsync"/> has finished: <see cref="Bundle"/> and <see cref="Pipeline"/> are usable.
    /// </summary>
    public bool IsLoaded => _loading is { IsCompletedSuccessfully: true };

    public ModelBundle Bundle => Loaded.Bundle;

    public Pix2PixZeroPipeline Pipeline => Loaded.Pipeline;

    /// <summary>The text encoder's id: word means and inverted latents are only reused with the same one.</summary>
    public string ModelId => Pipeline.Prompts.ModelId;

    /// <summary>"Cuda" or "Cpu" once a session exists.</summary>
    public string Provider => Bundle.Sessions.ActiveProvider?.ToString() ?? "not loaded";

    /// <summary>
    /// Makes the model folder hold a bundle (pulling it when asked) and opens it; one load serves every caller. The
    /// worker starts it at start-up (<see cref="ModelStartup"/>); a load that failed (a pull that broke off, a folder
    /// not there yet) is tried again by the next caller, and a stopping worker cancels it (a pull resumes later).
    /// </summary>
    public Task LoadAsync(CancellationToken cancellationToken)
    {
        Task<LoadedModel> loading;
        lock (_loadLock)
        {
            if (_loading is null || _loading.IsFaulted || _loading.IsCanceled)
                _loading = Task.Run(OpenAsync, _stopping);
            loading = _loading;
        }
        return loading.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// SHA-256 of every graph and external-weights file of the bundle, by path relative to the model folder.
    /// </summary>
    public IReadOnlyDictionary<string, string> Hashes => _hashes.Value;

    /// <summary>Word means computed or downloaded by this worker, in core's file format.</summary>
    public DirectionStore LocalDirections { get; }

    /// <summary>The most model activities that ran at once in this worker so far.</summary>
    public int PeakConcurrency => Volatile.Read(ref _peak);

    /// <summary>Waits for the model and a model slot; disposing the result frees the slot.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await LoadAsync(cancellationToken);
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
        if (!IsLoaded)
            return;
        for (var slot = 0; slot < _slots; slot++)
            if (!_gate.Wait(DrainTimeout))
                return;
        Pipeline.Dispose();
        Bundle.Dispose();
    }

    private LoadedModel Loaded =>
        _loading is { IsCompletedSuccessfully: true } loading
            ? loading.Result
            : throw new InvalidOperationException("the model is not loaded yet: await ModelHost.LoadAsync first");

    // A failed load is tried again by the next caller (the folder may be filled or mounted meanwhile, a pull resumes),
    // so to the activities and the API that wait on it, any load failure (a broken folder, a refused pull) may pass.
    private async Task<LoadedModel> OpenAsync()
    {
        try
        {
            var model = await _provisioner.EnsureAsync(progress: null, _stopping);
            var bundle = ModelBundle.Open(
                model.Directory,
                new OnnxSessionFactory(_provider, _loggers.CreateLogger("Pix2PixZero.Onnx"), _cuda),
                graphCache: _graphCache
            );
            return new LoadedModel(
                bundle,
                new Pix2PixZeroPipeline(bundle, _loggers.CreateLogger("Pix2PixZero.Pipeline"), _sessionShapes)
            );
        }
        catch (Pix2PixZeroException e) when (e.Kind != FailureKind.Transient)
        {
            throw new Pix2PixZeroException(FailureKind.Transient, e.Message, e);
        }
    }

    // Once per worker: a manifest names the exact weights a result came from. A pulled bundle's files keep the SHA-256
    // its pull verified (pull-manifest.json) while unchanged, so
    // gigabytes of weights are not read again on every start.
    private static Dictionary<string, string> HashGraphs(ModelBundle bundle)
    {
        var pulled = PullManifest.TryRead(bundle.Directory);
        var files = Directory
            .EnumerateFiles(bundle.Directory, "*", SearchOption.AllDirectories)
            .Where(f =>
                Path.GetFileName(f) is var name
                    && (name == BundleLayout.GraphFileName || BundleLayout.ExternalWeightsNames.Contains(name))
                || Path.GetDirectoryName(f) == bundle.CaptionerDirectory
                    && f.EndsWith(".onnx", StringComparison.Ordinal)
            )
            .Select(f => Path.GetRelativePath(bundle.Directory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal);
        return files.ToDictionary(
            path => path,
            path =>
                pulled?.VerifiedSha256(bundle.Directory, path)
                ?? FileDigest.Sha256(BundleLayout.LocalPath(bundle.Directory, path)),
            StringComparer.Ordinal
        );
    }

    private sealed class Slot(ModelHost host) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
                return;
            Interlocked.Decrement(ref host._running);
            host._gate.Release();
        }
    }
}
