using System.Diagnostics;
using System.Text.RegularExpressions;
using Pix2PixZero.Tests.Support;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// A real Azurite (blob, queue and table services) from node_modules (scripts/install-azurite.sh), on ports the OS
/// picks on loopback, with its data in a temporary folder; stopped by its process id.
/// </summary>
public sealed partial class Azurite : IAsyncDisposable
{
    // Azurite's well-known development account (public; documented by Azurite itself).
    private const string Account = "devstoreaccount1";
    private const string Key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;
    private readonly DirectoryInfo _folder;

    private Azurite(Process process, DirectoryInfo folder, IReadOnlyDictionary<string, int> ports)
    {
        _process = process;
        _folder = folder;
        ConnectionString = $"DefaultEndpointsProtocol=http;AccountName={Account};AccountKey={Key};" +
            $"BlobEndpoint=http://127.0.0.1:{ports["Blob"]}/{Account};QueueEndpoint=http://127.0.0.1:{ports["Queue"]}/{Account};TableEndpoint=http://127.0.0.1:{ports["Table"]}/{Account};";
    }

    public string ConnectionString { get; }

    public static async Task<Azurite> StartAsync()
    {
        var launcher = Path.Combine(RepoPaths.Root, "node_modules", ".bin", "azurite");
        if (!File.Exists(launcher))
            throw new InvalidOperationException($"Azurite is not installed at {launcher}; run scripts/install-azurite.sh (scripts/test.sh runs it)");
        var folder = Directory.CreateTempSubdirectory("p2pz-azurite-");
        var start = new ProcessStartInfo(launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     "--disableTelemetry", "--skipApiVersionCheck", "--silent", "--location", folder.FullName,
                     "--blobHost", "127.0.0.1", "--blobPort", "0", "--queueHost", "127.0.0.1", "--queuePort", "0",
                     "--tableHost", "127.0.0.1", "--tablePort", "0",
                 })
            start.ArgumentList.Add(argument);

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start");
        var ports = new Dictionary<string, int>();
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            output.Enqueue(e.Data);
            if (Listening().Match(e.Data) is { Success: true } match)
                lock (ports)
                {
                    ports[match.Groups[1].Value] = int.Parse(match.Groups[2].Value);
                    if (ports.Count == 3) ready.TrySetResult();
                }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var started = await Task.WhenAny(ready.Task, process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(60)));
        if (started != ready.Task)
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"Azurite did not report its three ports:{Environment.NewLine}{string.Join(Environment.NewLine, output)}");
        }
        return new Azurite(process, folder, ports);
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

    [GeneratedRegex(@"Azurite (Blob|Queue|Table) service is successfully listening at http://127\.0\.0\.1:(\d+)")]
    private static partial Regex Listening();
}
