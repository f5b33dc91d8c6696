using System.Diagnostics;
using System.Text;

namespace Pix2PixZero.Tests.Support;

/// <summary>
/// The built <c>pix2pix-zero</c> run as a user runs it: its own process, standard output and error read apart
/// (both redirected, so neither is a terminal), its exit status, and signals sent by process id.
/// </summary>
public sealed class CliProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _out = new();
    private readonly StringBuilder _error = new();
    private readonly List<(string Text, TaskCompletionSource Printed)> _awaited = [];

    private CliProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
                lock (_out)
                    _out.AppendLine(e.Data);
        };
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            lock (_error)
            {
                _error.AppendLine(e.Data);
                var error = _error.ToString();
                foreach (var (text, printed) in _awaited)
                    if (error.Contains(text, StringComparison.Ordinal))
                        printed.TrySetResult();
            }
        };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_out)
                return _out.ToString();
        }
    }

    public string Error
    {
        get
        {
            lock (_error)
                return _error.ToString();
        }
    }

    public static CliProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>Starts with <paramref name="environment"/> added to this process's environment.</summary>
    public static CliProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        // Through env with SIGINT's default action restored, as a terminal starts a program: a test run started in the
        // background by a non-interactive shell ignores SIGINT, and the CLI would inherit that and ignore the tests'
        // Ctrl+C.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = RepoPaths.Root,
        };
        start.ArgumentList.Add("--default-signal=INT");
        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pix2pix-zero.dll"));
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        start.Environment.Remove("PIX2PIX_ZERO_MODEL");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        return new CliProcess(
            Process.Start(start) ?? throw new InvalidOperationException("pix2pix-zero did not start")
        );
    }

    /// <summary>
    /// Runs to the end (at most <paramref name="seconds"/>): exit status, standard output, standard error.
    /// </summary>
    public static async Task<(int Status, string Output, string Error)> RunAsync(params string[] args) =>
        await RunAsync(120, args);

    public static async Task<(int Status, string Output, string Error)> RunAsync(int seconds, params string[] args) =>
        await RunAsync(new Dictionary<string, string>(), seconds, args);

    public static async Task<(int Status, string Output, string Error)> RunAsync(
        IReadOnlyDictionary<string, string> environment,
        int seconds,
        params string[] args
    )
    {
        using var cli = Start(environment, args);
        var status = await cli.WaitAsync(seconds);
        return (status, cli.Output, cli.Error);
    }

    /// <summary>
    /// Runs with <paramref name="input"/> piped into standard input (copied until it ends or the program stops
    /// reading), as <c>cat photo.png | pix2pix-zero edit - …</c> does.
    /// </summary>
    public static async Task<(int Status, string Output, string Error)> RunWithInputAsync(
        Stream input,
        params string[] args
    )
    {
        using var cli = Start(args);
        var feed = Task.Run(async () =>
        {
            try
            {
                await input.CopyToAsync(cli._process.StandardInput.BaseStream);
                cli._process.StandardInput.Close();
            }
            catch (IOException)
            {
                // The program closed its end: it read what it wanted.
            }
        });
        var status = await cli.WaitAsync(120);
        await feed;
        return (status, cli.Output, cli.Error);
    }

    public async Task<int> WaitAsync(int seconds)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Waits until standard error holds <paramref name="text"/>.</summary>
    public async Task WaitForErrorAsync(string text, int seconds)
    {
        var printed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_error)
        {
            if (_error.ToString().Contains(text, StringComparison.Ordinal))
                return;
            _awaited.Add((text, printed));
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        // Exiting ends the wait too: after the last line, standard error has nothing more to print.
        await Task.WhenAny(printed.Task, _process.WaitForExitAsync(timeout.Token));
        if (!printed.Task.IsCompleted)
            throw new TimeoutException(
                $"pix2pix-zero did not print \"{text}\" (exited: {_process.HasExited}):{Environment.NewLine}{Error}"
            );
    }

    /// <summary>Sends SIGINT, what Ctrl+C sends to a program in a terminal.</summary>
    public void Interrupt()
    {
        using var kill = Process.Start("kill", ["-INT", _process.Id.ToString()]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        if (!_process.HasExited)
            _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
