using System.Diagnostics;

namespace Pix2PixZero.Cli.Commands;

/// <summary>The process's peak resident memory, as <c>bench</c> and <c>bench guidance</c> report it.</summary>
public static class PeakMemory
{
    /// <summary>
    /// The peak resident memory (Linux VmHWM) since the process started or since <see cref="Reset"/>, in MiB.
    /// </summary>
    public static double ResidentMiB()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64 / 1048576.0;
    }

    /// <summary>
    /// Starts a new peak-memory measurement (Linux: "5" to /proc/self/clear_refs); false where that is not possible.
    /// </summary>
    public static bool Reset()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }
}
