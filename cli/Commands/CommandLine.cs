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
            return root.Parse(args).Invoke();
        }
        catch (Pix2PixZeroException e)
        {
            error.WriteLine($"error: {e.Message}");
            return UserError;
        }
    }

    public static ILoggerFactory Logging(bool verbose) => LoggerFactory.Create(b => b
        .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; })
        .SetMinimumLevel(verbose ? LogLevel.Debug : LogLevel.Information));
}
