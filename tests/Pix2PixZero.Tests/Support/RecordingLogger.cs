using Microsoft.Extensions.Logging;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// A logger that keeps each message with its level, so a test reads what the code under test told its operator.
/// </summary>
public sealed class RecordingLogger : ILogger
{
    private readonly List<(LogLevel Level, string Text)> _entries = [];

    public IReadOnlyList<string> Lines => Select(_ => true);

    public IReadOnlyList<string> Warnings => Select(level => level == LogLevel.Warning);

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(
        LogLevel logLevel,
        EventId eventId,
        TState state,
        Exception? exception,
        Func<TState, Exception?, string> formatter
    )
    {
        lock (_entries)
            _entries.Add((logLevel, formatter(state, exception)));
    }

    private List<string> Select(Func<LogLevel, bool> wanted)
    {
        lock (_entries)
            return [.. _entries.Where(entry => wanted(entry.Level)).Select(entry => entry.Text)];
    }
}
