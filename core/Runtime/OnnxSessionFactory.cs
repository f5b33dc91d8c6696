using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.ML.OnnxRuntime;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// The one place that creates ONNX Runtime sessions. The execution provider is settled on the first session:
/// CUDA when its provider loads (needs the GPU package, CUDA 13 and cuDNN 9), otherwise CPU — logged once — and
/// every later session uses the same choice.
/// </summary>
public sealed class OnnxSessionFactory
{
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly int _deviceId;
    private readonly ExecutionProvider _requested;
    private ExecutionProvider? _active;

    public OnnxSessionFactory(ExecutionProvider requested = ExecutionProvider.Auto, ILogger? log = null, int deviceId = 0)
    {
        _requested = requested;
        _log = log ?? NullLogger.Instance;
        _deviceId = deviceId;
    }

    /// <summary>The provider sessions run on; <c>null</c> until the first session is created.</summary>
    public ExecutionProvider? ActiveProvider
    {
        get { lock (_gate) return _active; }
    }

    /// <summary>Why CUDA was not used, when it was tried and failed.</summary>
    public string? FallbackReason { get; private set; }

    public InferenceSession Create(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"ONNX model {modelPath} does not exist", modelPath);
        return CreateCore(options => new InferenceSession(modelPath, options), modelPath);
    }

    public InferenceSession Create(byte[] model, string label) =>
        CreateCore(options => new InferenceSession(model, options), label);

    private InferenceSession CreateCore(Func<SessionOptions, InferenceSession> open, string label)
    {
        lock (_gate)
        {
            if (_active is null) _active = Choose();
            var options = NewOptions(_active.Value);
            try
            {
                return open(options);
            }
            catch (OnnxRuntimeException e)
            {
                throw new Pix2PixZeroException($"ONNX Runtime could not load {label}: {e.Message}", e);
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
        try
        {
            using var probe = new SessionOptions();
            probe.AppendExecutionProvider_CUDA(_deviceId);
            _log.LogInformation("Execution provider: CUDA (device {Device})", _deviceId);
            return ExecutionProvider.Cuda;
        }
        catch (Exception e) when (e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException)
        {
            FallbackReason = e.Message;
            if (_requested == ExecutionProvider.Cuda)
                throw new Pix2PixZeroException(
                    $"the CUDA execution provider was requested but could not be loaded ({e.Message}). It needs the Microsoft.ML.OnnxRuntime.Gpu package, CUDA 13 and cuDNN 9; use the CPU provider otherwise.", e);
            _log.LogWarning("CUDA execution provider unavailable, falling back to CPU: {Reason}", e.Message);
            return ExecutionProvider.Cpu;
        }
    }

    private SessionOptions NewOptions(ExecutionProvider provider)
    {
        var options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL };
        if (provider == ExecutionProvider.Cuda)
            options.AppendExecutionProvider_CUDA(_deviceId);
        return options;
    }
}
