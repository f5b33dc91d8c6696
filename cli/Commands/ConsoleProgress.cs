using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// Progress on standard error: a redrawn bar per stage on a terminal; otherwise (logs, CI, a pipe) a line when a stage
/// starts and ends and at least every <see cref="DefaultEvery"/> in between, with the time spent and an estimate of
/// the time left, so a long inversion on a real model never looks stuck. Synchronous, so lines never interleave.
/// Not Spectre.Console's Progress: that is a live display owning the terminal for the span of a callback, redrawn
/// by moving the cursor over what it drew, and (its docs say) not thread safe; while these bars run, the console
/// logger writes to standard error from its own thread and the runner writes results to standard output, neither
/// through Spectre's console, so its bars would tear. One line redrawn with "\r", never wider than the terminal (80
/// columns when it does not say), survives those writes, and the logger's lines reach standard error through
/// <see cref="Lines"/>, which takes the bar off its line before a log line and draws it again after. Stages are
/// named by their <see cref="EditStage.DisplayName"/>.
/// </summary>
public sealed class ConsoleProgress
{
    public static readonly TimeSpan DefaultEvery = TimeSpan.FromSeconds(5);

    /// <summary>The width assumed when the terminal does not say its own.</summary>
    public const int DefaultColumns = 80;

    private const int BarWidth = 30;
    private const int MinBarWidth = 10;
    private const string ClearToEnd = "\u001b[K";
    private readonly TextWriter _out;
    private readonly bool _interactive;
    private readonly int? _columns;
    private readonly TimeProvider _clock;
    private readonly TimeSpan _every;
    private readonly object _gate = new();
    private EditStage? _stage;
    private long _stageStarted;
    private int _firstStep;
    private long _lastLine;
    private string? _drawn;

    /// <param name="writer">Where progress goes; null: standard error, redrawn as a bar when it is a terminal.</param>
    /// <param name="terminalColumns">Draws the bar on <paramref name="writer"/> as on a terminal this wide.</param>
    public ConsoleProgress(
        TextWriter? writer = null,
        TimeProvider? clock = null,
        TimeSpan? every = null,
        int? terminalColumns = null
    )
    {
        _out = writer ?? Console.Error;
        _interactive = terminalColumns is not null || (writer is null && !Console.IsErrorRedirected);
        _columns = terminalColumns;
        _clock = clock ?? TimeProvider.System;
        _every = every ?? DefaultEvery;
        Lines = new LineWriter(this);
        // Everything else written to standard error (the console logger's lines, from its own thread) goes through
        // Lines, which lifts the bar off its line first and draws it again after.
        if (_interactive && writer is null)
            Console.SetError(Lines);
    }

    /// <summary>
    /// A writer for other lines on the same output: each whole line is written on a line of its own, never glued
    /// onto the bar, and the bar is drawn again below it.
    /// </summary>
    public TextWriter Lines { get; }

    /// <summary>The pipeline's step-end callback: draws or prints where the run is.</summary>
    public void OnStepEnd(PipelineStep value)
    {
        lock (_gate)
        {
            var now = _clock.GetTimestamp();
            var starts = value.Stage != _stage;
            if (starts)
                (_stage, _stageStarted, _firstStep) = (value.Stage, now, value.Step);
            var done = value.Step >= value.Total;
            if (_interactive)
            {
                _drawn = Fit(value, Timing(value, now, brief: false), Timing(value, now, brief: true), Columns);
                _out.Write($"\r{_drawn}{ClearToEnd}");
                if (done)
                {
                    _out.WriteLine();
                    _drawn = null;
                }
                _out.Flush();
            }
            else if (done || starts || _clock.GetElapsedTime(_lastLine, now) >= _every)
            {
                _out.WriteLine($"{Label(value)}: {value.Step}/{value.Total}{Timing(value, now, brief: false)}");
                _lastLine = now;
            }
        }
    }

    /// <summary>
    /// The bar's line for <paramref name="columns"/>: the bar narrows (down to <see cref="MinBarWidth"/>), the timing
    /// shortens, then the bar goes, and what still does not fit is cut, so that the line never wraps and "\r" redraws
    /// it.
    /// The last column stays free: writing it makes some terminals wrap.
    /// </summary>
    public static string Fit(PipelineStep value, string timing, string briefTiming, int columns)
    {
        var room = Math.Max(1, columns - 1);
        var stage = Label(value);
        var counts = $"{value.Step}/{value.Total}";
        string[] times = [timing, briefTiming];
        foreach (var time in times)
        {
            var bar = Math.Min(BarWidth, room - Width($"{stage, -8} {counts}{time}") - 3);
            if (bar >= MinBarWidth)
                return $"{stage, -8} {Bar(value.Step, value.Total, bar)} {counts}{time}";
        }
        foreach (var time in times)
            if ($"{stage, -8} {counts}{time}" is var text && Width(text) <= room)
                return text;
        return Cut($"{stage} {counts}{briefTiming}", room);
    }

    // The stage's display name, with the word whose mean is being computed (which may be any script's).
    private static string Label(PipelineStep value) =>
        value.Word is { } word ? $"{value.Stage.DisplayName} '{word}'" : value.Stage.DisplayName;

    /// <summary>
    /// The columns <paramref name="text"/> takes on a terminal: two for East Asian wide characters (a task word in
    /// Chinese or Japanese) and for characters beyond the Basic Multilingual Plane (emoji), one for the rest.
    /// </summary>
    public static int Width(string text)
    {
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
            width += IsWide(rune) ? 2 : 1;
        return width;
    }

    private static string Cut(string text, int columns)
    {
        var result = new System.Text.StringBuilder();
        var width = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            width += IsWide(rune) ? 2 : 1;
            if (width > columns)
                break;
            result.Append(rune.ToString());
        }
        return result.ToString();
    }

    private static bool IsWide(System.Text.Rune rune) =>
        rune.Value
            is >= 0x1100
                and <= 0x115F
                or >= 0x2E80
                and <= 0xA4CF
                or >= 0xAC00
                and <= 0xD7A3
                or >= 0xF900
                and <= 0xFAFF
                or >= 0xFE30
                and <= 0xFE4F
                or >= 0xFF00
                and <= 0xFF60
                or >= 0xFFE0
                and <= 0xFFE6
                or >= 0x10000;

    /// <summary>
    /// "[#####.....]": <paramref name="done"/> of <paramref name="total"/> (full when the total is unknown or zero).
    /// </summary>
    public static string Bar(long done, long total, int width = BarWidth)
    {
        var filled = total <= 0 ? width : (int)(width * Math.Clamp(done, 0, total) / total);
        return $"[{new string('#', filled)}{new string('.', width - filled)}]";
    }

    /// <summary>"45 s", "2 min 05 s", "1 h 02 min".</summary>
    public static string Duration(TimeSpan span) =>
        span switch
        {
            { TotalHours: >= 1 } => $"{(int)span.TotalHours} h {span.Minutes:00} min",
            { TotalMinutes: >= 1 } => $"{(int)span.TotalMinutes} min {span.Seconds:00} s",
            _ => $"{span.TotalSeconds:0} s",
        };

    private int Columns
    {
        get
        {
            if (_columns is { } columns)
                return columns;
            try
            {
                return Console.WindowWidth is > 0 and var width ? width : DefaultColumns;
            }
            catch (IOException)
            {
                return DefaultColumns;
            }
        }
    }

    // ", 34 s elapsed, about 1 min 40 s left" (brief: ", 34 s, 1 min 40 s left") from the pace since the stage's
    // first report; nothing before a step is done.
    private string Timing(PipelineStep value, long now, bool brief)
    {
        var elapsed = _clock.GetElapsedTime(_stageStarted, now);
        var stepsDone = value.Step - _firstStep;
        if (stepsDone <= 0)
            return "";
        if (value.Step >= value.Total)
            return $", {Duration(elapsed)}";
        var left = elapsed / stepsDone * (value.Total - value.Step);
        return brief
            ? $", {Duration(elapsed)}, {Duration(left)} left"
            : $", {Duration(elapsed)} elapsed, about {Duration(left)} left";
    }

    private sealed class LineWriter(ConsoleProgress progress) : TextWriter
    {
        private readonly System.Text.StringBuilder _pending = new();

        public override System.Text.Encoding Encoding => progress._out.Encoding;

        public override void Write(char value) => Write(value.ToString());

        public override void Write(string? value)
        {
            if (string.IsNullOrEmpty(value))
                return;
            lock (progress._gate)
            {
                _pending.Append(value);
                var end = _pending.ToString().LastIndexOf('\n');
                if (end < 0)
                    return;
                var lines = _pending.ToString(0, end + 1);
                _pending.Remove(0, end + 1);
                if (progress._drawn is not null)
                    progress._out.Write($"\r{ClearToEnd}");
                progress._out.Write(lines);
                if (progress._drawn is { } bar)
                    progress._out.Write($"\r{bar}{ClearToEnd}");
                progress._out.Flush();
            }
        }

        public override void Flush()
        {
            lock (progress._gate)
                progress._out.Flush();
        }
    }
}
