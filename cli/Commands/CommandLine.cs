using System.CommandLine;
using Microsoft.Extensions.Logging;
using Pix2PixZero.Core;

namespace Pix2PixZero.Cli.Commands;

/// <summary>Runs the command tree; problems the user can fix print as one line, not a stack trace.</summary>
public static class CommandLine
{
    public const int UserError = 2;

    public static int Invoke(RootCommand root, string[] args, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            // Without the default handler, a user error thrown by any command lands here rather than as a stack trace.
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Pix2PixZeroException e)
        {
            error.WriteLine($"error: {e.Message}");
            return UserError;
        }
    }

    /// <summary>Runs a command's work: problems the user can fix print as "error: …" (status 2), Ctrl+C as "cancelled" (130).</summary>
    public static async Task<int> RunAsync(Func<Task> action, CancellationToken cancellationToken, TextWriter? error = null)
    {
        error ??= Console.Error;
        try
        {
            await action();
            return 0;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            error.WriteLine("cancelled");
            return 130;
        }
        catch (Pix2PixZeroException e)
        {
            error.WriteLine($"error: {e.Message}");
            return UserError;
        }
    }

    /// <summary>A per-user cache folder: $XDG_CACHE_HOME/pix2pix-zero/{name}, else ~/.cache/pix2pix-zero/{name}.</summary>
    public static string CacheFolder(string name) =>
        Path.Combine(Environment.GetEnvironmentVariable("XDG_CACHE_HOME") is { Length: > 0 } cache
            ? cache : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache"), "pix2pix-zero", name);

    public static ILoggerFactory Logging(bool verbose) => LoggerFactory.Create(b => b
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
}
