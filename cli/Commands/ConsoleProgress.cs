using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Progress on standard error: a redrawn bar per stage on a terminal, one line per stage otherwise (logs, CI).
/// Synchronous, so lines never interleave with other output.
/// </summary>
public sealed class ConsoleProgress(TextWriter? writer = null) : IProgress<PipelineProgress>
{
    private const int Width = 30;
    private readonly TextWriter _out = writer ?? Console.Error;
    private readonly bool _interactive = writer is null && !Console.IsErrorRedirected;
    private string? _stage;

    public void Report(PipelineProgress value)
    {
        if (_interactive)
        {
            _out.Write($"\r{value.Stage,-8} {Bar(value.Step, value.TotalSteps)} {value.Step}/{value.TotalSteps}");
            if (value.Step == value.TotalSteps) _out.WriteLine();
        }
        else if (value.Step == value.TotalSteps || value.Stage != _stage)
        {
            if (value.Step == value.TotalSteps || value.Step == 0) _out.WriteLine($"{value.Stage}: {value.Step}/{value.TotalSteps}");
        }
        _stage = value.Stage;
    }

    /// <summary>"[#####.....]": <paramref name="done"/> of <paramref name="total"/> (full when the total is unknown or zero).</summary>
    public static string Bar(long done, long total)
    {
        var filled = total <= 0 ? Width : (int)(Width * Math.Clamp(done, 0, total) / total);
        return $"[{new string('#', filled)}{new string('.', Width - filled)}]";
    }
}
