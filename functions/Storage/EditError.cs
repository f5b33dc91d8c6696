using Pix2PixZero.Core.Pipeline;

namespace Pix2PixZero.Functions.Storage;

/// <summary>
/// <c>edit-results/{id}/error.json</c>: why a request ended without results. <see cref="Kind"/> is
/// <see cref="InvalidRequest"/> when the input or an option was wrong (the message says what to change),
/// <see cref="Cancelled"/> when a user cancelled it, else <see cref="Failed"/> after every retry.
/// </summary>
public sealed record EditError(string Id, EditStage Stage, string Kind, string Message, DateTimeOffset FailedAt)
{
    public const string InvalidRequest = "invalid-request";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
}
