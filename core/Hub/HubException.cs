namespace Pix2PixZero.Core.Hub;

/// <summary>
/// A download that failed: what was being fetched, the HTTP status when there was one, and what to do.
/// <see cref="Transient"/> failures (timeouts, dropped connections, 429/5xx) are retried, resuming where they stopped;
/// the others (a refused token, a missing file, a full disk) are <see cref="FailureKind.Permanent"/>.
/// </summary>
public sealed class HubException : Pix2PixZeroException
{
    public HubException(string message, int? statusCode = null, bool transient = false)
        : base(KindOf(transient), message) => StatusCode = statusCode;

    public HubException(string message, Exception inner, int? statusCode = null, bool transient = false)
        : base(KindOf(transient), message, inner) => StatusCode = statusCode;

    public int? StatusCode { get; }

    public bool Transient => Kind == FailureKind.Transient;

    private static FailureKind KindOf(bool transient) => transient ? FailureKind.Transient : FailureKind.Permanent;
}
