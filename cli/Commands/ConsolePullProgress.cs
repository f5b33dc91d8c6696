using System.Diagnostics;
using Pix2PixZero.Core.Hub;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Download progress on standard error: on a terminal one bar per file, redrawn at most ten times a second; otherwise
/// (logs, CI) one line per finished file.
/// </summary>
public sealed class ConsolePullProgress(TextWriter? writer = null) : IProgress<PullProgress>
{
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private readonly TextWriter _out = writer ?? Console.Error;
    private readonly bool _interactive = writer is null && !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TimeSpan _drawn = TimeSpan.MinValue;
    private int _file;

    public void Report(PullProgress value)
    {
        var done = value.Size is { } size && value.Bytes >= size;
        var firstOfFile = value.FileNumber != _file;
        _file = value.FileNumber;
        var sizes =
            ModelPuller.FormatBytes(value.Bytes)
            + (value.Size is { } total ? " / " + ModelPuller.FormatBytes(total) : "");
        var line =
            $"[{value.FileNumber}/{value.FileCount}] "
            + $"{ConsoleProgress.Bar(value.Bytes, value.Size ?? 0)} {sizes, -22} {value.File}";
        if (_interactive)
        {
            if (!done && !firstOfFile && _clock.Elapsed - _drawn < RedrawEvery)
                return;
            _drawn = _clock.Elapsed;
            _out.Write("\r" + line);
            if (done)
                _out.WriteLine();
        }
        else if (done || (firstOfFile && value.Size is null))
        {
            _out.WriteLine(line);
        }
    }
}
