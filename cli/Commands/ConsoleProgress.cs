using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Progress on standard error: a redrawn bar per stage on a terminal; otherwise (logs, CI, a pipe) a line when a stage
/// starts and ends and at least every <see cref="DefaultEvery"/> in between, with the time spent and an estimate of
/// the time left, so a long inversion on a real model never looks stuck. Synchronous, so lines never interleave.
/// Not Spectre.Console's Progress: that is a live display owning the terminal for the span of a callback, redrawn
/// by moving the cursor over what it drew, and (its docs say) not thread safe; while these bars run, the console
/// logger writes to standard error from its own thread and the runner writes results to standard output, neither
/// through Spectre's console, so its bars would tear. One line redrawn with "\r" survives those writes.
/// </summary>
public sealed class ConsoleProgress(TextWriter? writer = null, TimeProvider? clock = null, TimeSpan? every = null)
    : IProgress<PipelineProgress>
{
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(5);

    private const int Width = 30;
    private readonly TextWriter _out = writer ?? Console.Error;
    private readonly bool _interactive = writer is null && !Console.IsErrorRedirected;
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;
    private readonly TimeSpan _every = every ?? DefaultEvery;
    private string? _stage;
    private long _stageStarted;
    private int _firstStep;
    private long _lastLine;

    public void Report(PipelineProgress value)
    {
        var now = _clock.GetTimestamp();
        var starts = value.Stage != _stage;
        if (starts)
            (_stage, _stageStarted, _firstStep) = (value.Stage, now, value.Step);
        var done = value.Step >= value.TotalSteps;
        var timing = Timing(value, now);
        if (_interactive)
        {
            _out.Write(
                $"\r{value.Stage, -8} {Bar(value.Step, value.TotalSteps)} {value.Step}/{value.TotalSteps}{timing}   "
            );
            if (done)
                _out.WriteLine();
        }
        else if (done || starts || _clock.GetElapsedTime(_lastLine, now) >= _every)
        {
            _out.WriteLine($"{value.Stage}: {value.Step}/{value.TotalSteps}{timing}");
            _lastLine = now;
        }
    }

    /// <summary>
    /// "[#####.....]": <paramref name="done"/> of <paramref name="total"/> (full when the total is unknown or zero).
    /// </summary>
    public static string Bar(long done, long total)
    {
        var filled = total <= 0 ? Width : (int)(Width * Math.Clamp(done, 0, total) / total);
        return $"[{new string('#', filled)}{new string('.', Width - filled)}]";
    }

    /// <summary>"45 s", "2 min 05 s", "1 h 02 min".</summary>
    public static string Duration(TimeSpan span) =>
        span switch
        {
            { TotalHours: >= 1 } => $"{(int)span.TotalHours} h {span.Minutes:00} min",
            { TotalMinutes: >= 1 } => $"{(int)span.TotalMinutes} min {span.Seconds:00} s",
            _ => $"{span.TotalSeconds:0} s",
        };

    // ", 34 s elapsed, about 1 min 40 s left" from the pace since
    // the stage's first report; nothing before a step is done.
    private string Timing(PipelineProgress value, long now)
    {
        var elapsed = _clock.GetElapsedTime(_stageStarted, now);
        var stepsDone = value.Step - _firstStep;
        if (stepsDone <= 0)
            return "";
        if (value.Step >= value.TotalSteps)
            return $", {Duration(elapsed)}";
        var left = elapsed / stepsDone * (value.TotalSteps - value.Step);
        return $", {Duration(elapsed)} elapsed, about {Duration(left)} left";
    }
}
