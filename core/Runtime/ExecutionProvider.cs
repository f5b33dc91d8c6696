namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// Which ONNX Runtime execution provider to ask for. <see cref="Auto"/> tries CUDA, then falls back to CPU.
/// </summary>
public enum ExecutionProvider
{
    Auto,
    Cpu,
    Cuda,
}
