using Microsoft.ML.OnnxRuntime;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// Where the buffers that stay with a session between runs live (the attention maps an edit moves from the probe to
/// the guidance graph): on a CUDA session the device's own memory, so they never cross to the host; on the CPU
/// provider host memory.
/// </summary>
public static class BufferPlacement
{
    public static OrtMemoryInfo MemoryOf(ExecutionProvider? provider, int deviceId) =>
        provider == ExecutionProvider.Cuda
            ? new OrtMemoryInfo(
                OrtMemoryInfo.allocatorCUDA,
                OrtAllocatorType.DeviceAllocator,
                deviceId,
                OrtMemType.Default
            )
            : OrtMemoryInfo.DefaultInstance;
}
