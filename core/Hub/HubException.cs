namespace Pix2PixZero.Core.Hub;

/// <summary>
/// A download that failed: what was being fetched, the HTTP status when there was one, and what to do.
/// <see cref="Transient"/> failures (timeouts, dropped connections, 429/5xx) are retried, resuming where they stopped.
/// </summary>
public sealed class HubException : Pix2PixZeroException
{
    public HubException(string message, int? statusCode = null, bool transient = false) : base(message)
    {
        StatusCode = statusCode;
        Transient = transient;
    }

    public HubException(string message, Exception inner, int? statusCode = null, bool transient = false) : base(message, inner)
    {
        StatusCode = statusCode;
        Transient = transient;
    }

    public int? StatusCode { get; }

    public bool Transient { get; }
}
