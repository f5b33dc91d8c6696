namespace Pix2PixZero.Core.Hub;

/// <summary>
/// How <see cref="ModelPuller"/> talks to the hub. The endpoint is the hub or a mirror with the same URL shape
/// (<c>/api/models/{repo}/revision/{rev}</c>, <c>/{repo}/resolve/{rev}/{path}</c>).
/// </summary>
public sealed record PullOptions
{
    public const string DefaultEndpoint = "https://huggingface.co";

    public string Endpoint { get; init; } = DefaultEndpoint;

    /// <summary>
    /// A Hugging Face access token, sent as <c>Authorization: Bearer</c> to the endpoint's host only.
    /// </summary>
    public string? Token { get; init; }

    /// <summary>
    /// Longest wait for an answer, or between two pieces of a download, before the attempt counts as failed.
    /// </summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Further attempts per file after a transient failure; each resumes where the last one stopped.</summary>
    public int Retries { get; init; } = 5;

    /// <summary>Wait before the first retry; the n-th retry waits n times as long.</summary>
    public TimeSpan RetryDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Space that must stay free after the download (the compiled guidance graphs are written beside the UNet).
    /// </summary>
    public long DiskReserveBytes { get; init; } = 512L * 1024 * 1024;

    /// <summary>How long to wait for another pull into the same folder to finish (zero: fail at once).</summary>
    public TimeSpan LockWait { get; init; } = TimeSpan.Zero;

    public PullOptions Validate()
    {
        if (
            !Uri.TryCreate(Endpoint, UriKind.Absolute, out var uri)
            || uri.Scheme is not ("http" or "https")
            || uri.Query.Length > 0
        )
            throw new InvalidOptionException(
                "mirror",
                Endpoint,
                $"an http(s) URL of the hub or a mirror with its URL shape (default {DefaultEndpoint})"
            );
        if (Token is not null && (Token.Length == 0 || Token.Any(c => char.IsWhiteSpace(c) || char.IsControl(c))))
            throw new InvalidOptionException(
                "token",
                "(hidden)",
                "a Hugging Face access token without spaces or line breaks (https://huggingface.co/settings/tokens)"
            );
        if (Timeout < TimeSpan.FromMilliseconds(100) || Timeout > TimeSpan.FromHours(1))
            throw new InvalidOptionException(
                "timeout",
                Timeout.TotalSeconds,
                "between 0.1 and 3600 seconds (default 60)"
            );
        if (Retries is < 0 or > 100)
            throw new InvalidOptionException("retries", Retries, "between 0 and 100 (default 5)");
        if (RetryDelay < TimeSpan.Zero || RetryDelay > TimeSpan.FromMinutes(10))
            throw new InvalidOptionException(
                "retry delay",
                RetryDelay.TotalSeconds,
                "between 0 and 600 seconds (default 2)"
            );
        if (DiskReserveBytes < 0)
            throw new InvalidOptionException("disk reserve", DiskReserveBytes, "zero or more bytes (default 512 MiB)");
        if (LockWait < TimeSpan.Zero || LockWait > TimeSpan.FromDays(1))
            throw new InvalidOptionException("lock wait", LockWait.TotalSeconds, "between 0 and 86400 seconds");
        return this;
    }

    /// <summary>The endpoint as a base URI ending in '/', so relative API paths keep any mirror path prefix.</summary>
    public Uri BaseUri => new(Endpoint.TrimEnd('/') + "/");
}
