using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;
using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// The one place that creates ONNX Runtime sessions. The execution provider is settled on the first session:
/// CUDA when its provider loads (needs the GPU package, CUDA 13 and cuDNN 9), set up by <see cref="CudaOptions"/>,
/// otherwise CPU — logged once, with the CUDA options either in force or not used — and every later session uses the
/// same choice.
/// <para>
/// CPU threads: the pipeline alternates sessions (UNet, attention probe, guidance) at every step, and each
/// session's own intra-op pool keeps spinning after its run, stealing cores from the next session's run. So when
/// this factory is the first to touch ONNX Runtime's process-wide environment it creates it with one global intra-op
/// thread pool that all its sessions share; when something else created the environment first, its sessions keep
/// their own pools with spinning turned off. (The guidance run's and the UNet forward's current timings: README,
/// Performance.)
/// </para>
/// <para>
/// CPU memory: every CPU session allocates its activations from one arena registered in the environment, so what
/// the attention probe or the VAE freed is there for the guidance run, instead of each session keeping its own
/// high-water mark. (Sessions without an arena give memory back after each run, but a 512×512 VAE decode then ran
/// slower, paying page faults for every convolution buffer, and the edit's peak was no lower.) Sessions
/// created with <see cref="SharedWeights"/> read the weights from the shared map: their
/// options turn off what would copy weights per session (pre-packing, and the layout optimizations of
/// <see cref="GraphOptimizationLevel.ORT_ENABLE_ALL"/> that reorder convolution weights), and the memory pattern,
/// which reserves one block per session for a whole run. On CUDA each session copies its weights to the device
/// anyway, so there the shared map is not used (and the pipeline saves a copy by letting the attention probe serve
/// the plain UNet calls).
/// </para>
/// </summary>
public sealed class OnnxSessionFactory
{
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly CudaOptions _cuda;
    private readonly ExecutionProvider _requested;
    private ExecutionProvider? _active;
    private static readonly object EnvironmentGate = new();
    private static bool? _sharedThreadPool;
    private static bool _environmentArena;

    public OnnxSessionFactory(
        ExecutionProvider requested = ExecutionProvider.Auto,
        ILogger? log = null,
        CudaOptions? cuda = null
    )
    {
        _requested = requested;
        _log = log ?? NullLogger.Instance;
        _cuda = cuda ?? new CudaOptions();
        // Settle ONNX Runtime's environment now, before anything
        // else in the process creates it without the shared pool.
        _ = SharedThreadPool;
    }

    /// <summary>The provider sessions run on; <c>null</c> until the first session is created.</summary>
    public ExecutionProvider? ActiveProvider
    {
        get
        {
            lock (_gate)
                return _active;
        }
    }

    /// <summary>
    /// The memory the sessions' long-lived buffers live in (<see cref="BufferPlacement"/>): the CUDA device's once the
    /// sessions run there. One object per factory once the provider is settled, as every model keeps it.
    /// </summary>
    public OrtMemoryInfo DeviceMemory
    {
        get
        {
            lock (_gate)
                return _active is { } provider
                    ? _deviceMemory ??= BufferPlacement.MemoryOf(provider, _cuda.DeviceId)
                    : OrtMemoryInfo.DefaultInstance;
        }
    }

    private OrtMemoryInfo? _deviceMemory;

    /// <summary>
    /// Whether this process's factory sessions share one global intra-op thread pool (see the class remarks);
    /// settled by the first factory created or the first read of this property, whichever comes first.
    /// </summary>
    public static bool SharedThreadPool
    {
        get
        {
            lock (EnvironmentGate)
            {
                if (_sharedThreadPool is { } settled)
                    return settled;
                if (OrtEnv.IsCreated)
                    return (_sharedThreadPool = false).Value;
                // ONNX Runtime's own choice of pool size left the build machine's second core idle (one busy thread
                // through a whole edit), so the pool gets a thread per processor the process may use.
                var options = new EnvironmentCreationOptions
                {
                    threadOptions = new OrtThreadingOptions { GlobalIntraOpNumThreads = Environment.ProcessorCount },
                };
                OrtEnv.CreateInstanceWithOptions(ref options);
                return (_sharedThreadPool = true).Value;
            }
        }
    }

    /// <summary>
    /// Why <paramref name="requested"/> cannot run with this build's ONNX Runtime, or null: a build on the CPU package
    /// has no CUDA provider at all, which is known without loading a model or the CUDA libraries.
    /// </summary>
    public static string? MissingFromBuild(ExecutionProvider requested)
    {
        if (requested != ExecutionProvider.Cuda)
            return null;
        _ = SharedThreadPool; // the environment is created here with the shared pool, not by the query below
        var available = OrtEnv.Instance().GetAvailableProviders();
        return available.Contains("CUDAExecutionProvider")
            ? null
            : "this build has no CUDA execution provider: it was built with ONNX Runtime's CPU package "
                + $"(providers: {string.Join(", ", available)}). Use the CPU provider, or build with -p:Gpu=true "
                + "(README, GPU) on a machine with CUDA 13 and cuDNN 9";
    }

    /// <summary>
    /// Settles the provider now, as the first session would: a worker that must run on CUDA calls this at start-up
    /// with <see cref="ExecutionProvider.Cuda"/> requested, so a missing CUDA stops it before it takes any work.
    /// </summary>
    public ExecutionProvider Settle()
    {
        lock (_gate)
            return _active ??= Choose();
    }

    /// <summary>Why CUDA was not used, when it was tried and failed.</summary>
    public string? FallbackReason { get; private set; }

    /// <summary>
    /// When set, every session this factory creates records ONNX Runtime's profile (a JSON trace of every kernel
    /// run) into this folder, named after its graph file (<c>guidance_&lt;time&gt;.json</c>); the file is written when
    /// the session is disposed. <see cref="OrtProfile"/> summarises it.
    /// </summary>
    public string? ProfileFolder { get; init; }

    /// <summary>
    /// ONNX Runtime's CUDA provider options object, filled from <see cref="CudaOptions.ProviderOptions"/> and nothing
    /// else. Creating it loads the CUDA provider's library: it throws where that library or CUDA is missing.
    /// </summary>
    internal OrtCUDAProviderOptions NewCudaProviderOptions()
    {
        var options = new OrtCUDAProviderOptions();
        try
        {
            options.UpdateOptions(new Dictionary<string, string>(_cuda.ProviderOptions()));
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    public InferenceSession Create(string modelPath) => Create(modelPath, weights: null);

    /// <summary>
    /// A session for the model at <paramref name="modelPath"/>; on CPU, its external weights are read from
    /// <paramref name="weights"/> when given (one copy for every session that shares it). Symbolic input dimensions
    /// named in <paramref name="fixedDimensions"/> take those values: the session then accepts only inputs of that
    /// size, and ONNX Runtime plans it with concrete shapes. A graph derived from another one, whose weights
    /// locations are those of <paramref name="weightsOf"/> (compiled graphs, kept beside their UNet or in the graph
    /// cache), reads that graph's weights wherever they lie (<see cref="ExternalWeights"/>).
    /// </summary>
    public InferenceSession Create(
        string modelPath,
        SharedWeights? weights,
        IReadOnlyDictionary<string, long>? fixedDimensions = null,
        string? weightsOf = null
    )
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"ONNX model {modelPath} does not exist", modelPath);
        var model = weightsOf is null && weights is null ? null : OnnxGraph.Load(modelPath).Model;
        var folder = weightsOf is null ? null : ExternalWeights.Rebase(model!, weightsOf);
        // A graph with its weights inline, or read from its own folder, is opened from its file (no second copy).
        return folder is null
            ? Open(
                model,
                null,
                modelPath,
                Path.GetDirectoryName(Path.GetFullPath(modelPath))!,
                weights,
                fixedDimensions
            )
            : Open(model!, folder, modelPath, folder, weights, fixedDimensions);
    }

    /// <summary>
    /// A session for a graph held in memory, derived from the graph at <paramref name="weightsOf"/> and sharing its
    /// external weights locations; <paramref name="label"/> names it in errors. See the other overload.
    /// </summary>
    public InferenceSession Create(
        ModelProto model,
        string weightsOf,
        string label,
        SharedWeights? weights = null,
        IReadOnlyDictionary<string, long>? fixedDimensions = null
    )
    {
        var folder = ExternalWeights.Rebase(model, weightsOf);
        return Open(model, folder ?? "", label, folder ?? "", weights, fixedDimensions);
    }

    /// <summary>
    /// Opens <paramref name="model"/> from memory when <paramref name="memoryFolder"/> is given (its external data in
    /// that folder, "" for none), else the file <paramref name="label"/>; shared weights are found in
    /// <paramref name="weightsFolder"/>.
    /// </summary>
    private InferenceSession Open(
        ModelProto? model,
        string? memoryFolder,
        string label,
        string weightsFolder,
        SharedWeights? weights,
        IReadOnlyDictionary<string, long>? fixedDimensions
    ) =>
        CreateCore(
            options =>
            {
                if (memoryFolder is null)
                    return new InferenceSession(label, options);
                if (memoryFolder.Length > 0)
                    options.AddSessionConfigEntry(ExternalWeights.FolderSetting, memoryFolder);
                return new InferenceSession(model!.ToByteArray(), options);
            },
            label,
            (options, provider) =>
            {
                foreach (var (name, value) in fixedDimensions ?? new Dictionary<string, long>())
                    options.AddFreeDimensionOverrideByName(name, value);
                if (weights is null || provider != ExecutionProvider.Cpu)
                    return;
                options.GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_EXTENDED;
                options.EnableMemoryPattern = false;
                options.AddSessionConfigEntry("session.disable_prepacking", "1");
                var shared = weights.AddTo(options, model!, weightsFolder);
                _log.LogDebug("{Path}: {Count} initializers read from the shared weights map", label, shared);
            }
        );

    public InferenceSession Create(byte[] model, string label) =>
        CreateCore(options => new InferenceSession(model, options), label);

    private InferenceSession CreateCore(
        Func<SessionOptions, InferenceSession> open,
        string label,
        Action<SessionOptions, ExecutionProvider>? configure = null
    )
    {
        var shared = SharedThreadPool;
        lock (_gate)
        {
            if (_active is null)
            {
                _active = Choose();
                _log.LogInformation(
                    shared
                        ? "ONNX Runtime sessions share one intra-op thread pool"
                        : "ONNX Runtime's environment was created elsewhere: "
                            + "sessions keep their own thread pools, spinning off"
                );
            }
            using var options = NewOptions(_active.Value, shared);
            if (ProfileFolder is { } folder)
            {
                // The prefix first: turning profiling on takes the prefix set at that moment.
                options.ProfileOutputPathPrefix = Path.Combine(folder, Path.GetFileNameWithoutExtension(label));
                options.EnableProfiling = true;
            }
            configure?.Invoke(options, _active.Value);
            try
            {
                return open(options);
            }
            catch (OnnxRuntimeException e)
            {
                throw new Pix2PixZeroException(
                    FailureKind.Permanent,
                    $"ONNX Runtime could not load {label}: {e.Message}",
                    e
                );
            }
        }
    }

    private ExecutionProvider Choose()
    {
        if (_requested == ExecutionProvider.Cpu)
        {
            _log.LogInformation("Execution provider: CPU (requested)");
            return ExecutionProvider.Cpu;
        }
        if (MissingFromBuild(ExecutionProvider.Cuda) is { } missing)
        {
            if (_requested == ExecutionProvider.Cuda)
                throw new Pix2PixZeroException(FailureKind.Permanent, missing);
            FallbackReason = missing;
            _log.LogInformation(
                "Execution provider: CPU (this build has no CUDA provider){Unused}",
                UnusedCudaOptions()
            );
            return ExecutionProvider.Cpu;
        }
        try
        {
            using var probe = new SessionOptions();
            using var cuda = NewCudaProviderOptions();
            probe.AppendExecutionProvider_CUDA(cuda);
            _log.LogInformation("Execution provider: CUDA ({Options})", cuda.GetOptions());
            return ExecutionProvider.Cuda;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            FallbackReason = e.Message;
            if (_requested == ExecutionProvider.Cuda)
                throw new Pix2PixZeroException(
                    FailureKind.Permanent,
                    "the CUDA execution provider was requested but could not be "
                        + $"loaded ({e.Message}). It needs the Microsoft.ML.OnnxRuntime.Gpu "
                        + "package, CUDA 13 and cuDNN 9; use the CPU provider otherwise.",
                    e
                );
            _log.LogWarning(
                "CUDA execution provider unavailable, falling back to CPU{Unused}: {Reason}",
                UnusedCudaOptions(),
                e.Message
            );
            return ExecutionProvider.Cpu;
        }
    }

    // The settings a user gave for CUDA are named when the CPU runs instead, so none is thought to be in force.
    private string UnusedCudaOptions() =>
        _cuda == new CudaOptions()
            ? ""
            : "; CUDA options not used: "
                + string.Join(", ", _cuda.ProviderOptions().Select(o => $"{o.Key}={o.Value}"));

    private SessionOptions NewOptions(ExecutionProvider provider, bool sharedThreadPool)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (sharedThreadPool)
            options.DisablePerSessionThreads();
        else
            options.AddSessionConfigEntry("session.intra_op.allow_spinning", "0");
        if (provider == ExecutionProvider.Cuda)
        {
            using var cuda = NewCudaProviderOptions();
            options.AppendExecutionProvider_CUDA(cuda);
        }
        else
        {
            EnvironmentArena();
            options.AddSessionConfigEntry("session.use_env_allocators", "1");
        }
        return options;
    }

    // One CPU arena for all sessions, growing by what is asked (not by doubling), registered once per process.
    private static void EnvironmentArena()
    {
        lock (EnvironmentGate)
        {
            if (_environmentArena)
                return;
            using var memory = new OrtMemoryInfo(
                OrtMemoryInfo.allocatorCPU,
                OrtAllocatorType.ArenaAllocator,
                0,
                OrtMemType.Default
            );
            using var arena = new OrtArenaCfg(
                maxMemory: 0,
                arenaExtendStrategy: 1,
                initialChunkSizeBytes: -1,
                maxDeadBytesPerChunk: -1
            );
            OrtEnv.Instance().CreateAndRegisterAllocator(memory, arena);
            _environmentArena = true;
        }
    }
}
