using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A real Azurite (blob, queue and table services) from node_modules (scripts/install-azurite.sh), on ports the OS
/// picks on loopback, with its data in a temporary folder; stopped by its process id, and restartable on the same
/// ports and data.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    // Azurite's well-known development account (public; documented by Azurite itself).
    private const string Account = "devstoreaccount1";
    private const string Key =
        "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly DirectoryInfo _folder;
    private readonly IReadOnlyDictionary<string, int> _ports;
    private Process _process;

    private Azurite(Process process, DirectoryInfo folder, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        _folder = folder;
        _ports = ports;
        ConnectionString =
            $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};"
            + $"BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/{Account};QueueEndpoint=http://127.0.0.1:"
            + $"{ports["Queue"]}/{Account};TableEndpoint=http://127.0.0.1:{ports["Table"]}/{Account};";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var folder = Directory.CreateTempSubdirectory("p2pz-azurite-");
        var (process, ports) = await LaunchAsync(folder, ports: null);
        return new Azurite(process, folder, ports);
    }

    /// <summary>
    /// Stops Azurite by its process id (SIGTERM: it saves its data and exits, as a restarted container does), keeps it
    /// down for <paramref name="down"/>, and starts it again on the same ports and data folder.
    /// </summary>
    public async Task RestartAsync(TimeSpan down)
    {
        using (var term = Process.Start("kill", ["-TERM", _process.Id.ToString()]))
            await term.WaitForExitAsync();
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        await Task.Delay(down);
        (_process, _) = await LaunchAsync(_folder, _ports);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
        _folder.Delete(recursive: true);
    }

    /// <summary>
    /// Starts Azurite on <paramref name="ports"/> (null: ports the OS picks) and waits until its three services listen.
    /// </summary>
    private static async Task<(Process Process, IReadOnlyDictionary<string, int> Ports)> LaunchAsync(
        DirectoryInfo folder,
        IReadOnlyDictionary<string, int>? ports
    )
    {
        var launcher = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(launcher))
            throw new InvalidOperationException(
                $"Azurite is not installed at {launcher}; run scripts/install-azurite.sh (scripts/test.sh runs it)"
            );
        var start = new ProcessStartInfo(launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        string Port(string service) => ports?[service].ToString() ?? "0";
        foreach (
            var argument in new[]
            {
                "--disableTelemetry",
                "--skipApiVersionCheck",
                "--silent",
                "--location",
                folder.FullName,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                Port("Blob"),
                "--queueHost",
                "127.0.0.1",
                "--queuePort",
                Port("Queue"),
                "--tableHost",
                "127.0.0.1",
                "--tablePort",
                Port("Table"),
            }
        )
            start.ArgumentList.Add(argument);

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start");
        var listening = new Dictionary<string, int>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            output.Enqueue(e.Data);
            if (Listening().Match(e.Data) is { Success: true } match)
                lock (listening)
                {
                    listening[match.Groups[1].Value] = int.Parse(match.Groups[2].Value);
                    if (listening.Count == 3)
                        ready.TrySetResult();
                }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                output.Enqueue(e.Data);
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != ready.Task)
        {
            if (!process.HasExited)
                process.Kill(entireProcessTree: true);
            throw new InvalidOperationException(
                $"Azurite did not report its three ports:{Environment.NewLine}"
                    + $"{string.Join(Environment.NewLine, output)}"
            );
        }
        return (process, listening);
    }

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
