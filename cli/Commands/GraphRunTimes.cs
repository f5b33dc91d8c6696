using System.Diagnostics.Metrics;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Cli.Commands;

/// <summary>
/// One graph's runs: what was asked, the batch, how many runs, the first run's time and the later runs' mean.
/// </summary>
public sealed record GraphRun(
    string Graph,
    string Outputs,
    long Batch,
    int Runs,
    double FirstMilliseconds,
    double? LaterMillisecondsPerRun
);

/// <summary>
/// The graphs' runs while it listens to <see cref="OnnxModel.RunDuration"/>, by graph, what was asked and the batch,
/// in the order first seen, each first run's time apart (it pays for planning and allocating the run's memory): what
/// <c>bench</c> reports graph by graph.
/// </summary>
public sealed class GraphRunTimes : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _gate = new();
    private readonly Dictionary<
        (string Graph, string Outputs, long Batch),
        (int Runs, double First, double All)
    > _runs = [];
    private readonly List<(string Graph, string Outputs, long Batch)> _order = [];

    public GraphRunTimes()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            // By name: the instrument is published while OnnxModel's static fields are being set.
            if (instrument is { Meter.Name: OnnxModel.MeterName, Name: OnnxModel.RunDurationName })
                listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<double>(
            (_, milliseconds, tags, _) =>
                Add(Tag<string>(tags, "graph"), Tag<string>(tags, "outputs"), Tag<long>(tags, "batch"), milliseconds)
        );
        _listener.Start();
    }

    public IReadOnlyList<GraphRun> Runs
    {
        get
        {
            lock (_gate)
                return _order
                    .Select(key =>
                    {
                        var (runs, first, all) = _runs[key];
                        return new GraphRun(
                            key.Graph,
                            key.Outputs,
                            key.Batch,
                            runs,
                            first,
                            runs > 1 ? (all - first) / (runs - 1) : null
                        );
                    })
                    .ToList();
        }
    }

    public void Dispose() => _listener.Dispose();

    private void Add(string graph, string outputs, long batch, double milliseconds)
    {
        lock (_gate)
        {
            var key = (graph, outputs, batch);
            if (_runs.TryGetValue(key, out var seen))
                _runs[key] = (seen.Runs + 1, seen.First, seen.All + milliseconds);
            else
            {
                _runs[key] = (1, milliseconds, milliseconds);
                _order.Add(key);
            }
        }
    }

    private static T Tag<T>(ReadOnlySpan<KeyValuePair<string, object?>> tags, string name)
    {
        foreach (var (key, value) in tags)
            if (key == name && value is T typed)
                return typed;
        throw new InvalidOperationException($"a run of a graph was reported without its {name}");
    }
}
