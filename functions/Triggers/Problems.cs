using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>RFC 9457 problem details (<c>application/problem+json</c>) for every HTTP error the API returns.</summary>
public static class Problems
{
    public static IActionResult Of(int status, string title, string detail, string? option = null)
    {
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://www.rfc-editor.org/rfc/rfc9110#status.{status}",
        };
        if (option is not null)
            problem.Extensions["option"] = option;
        return new ObjectResult(problem) { StatusCode = status, ContentTypes = { "application/problem+json" } };
    }

    /// <summary>
    /// A failure answered as its kind calls for: the request's fault 400, one that may pass 503, any other 500.
    /// </summary>
    public static IActionResult Of(Pix2PixZeroException error, string? detail = null) =>
        error.Kind switch
        {
            FailureKind.InvalidInput => Of(
                StatusCodes.Status400BadRequest,
                "The request cannot be used",
                detail ?? error.Message,
                (error as InvalidOptionException)?.Option
            ),
            FailureKind.Transient => Of(
                StatusCodes.Status503ServiceUnavailable,
                "Try again later",
                detail ?? error.Message
            ),
            _ => Of(StatusCodes.Status500InternalServerError, "The request failed", detail ?? error.Message),
        };

    public static IActionResult Unavailable(string detail) =>
        Of(StatusCodes.Status503ServiceUnavailable, "The model is not ready", detail);

    public static IActionResult NotFound(string detail) => Of(StatusCodes.Status404NotFound, "Not found", detail);

    public static IActionResult TooLarge(long? length, long limit)
    {
        var body = length is { } n ? $"the request body is {n:N0} bytes" : "the request body is larger than the limit";
        var setting = Hosting.AppSettings.SettingName(nameof(Hosting.AppSettings.MaxRequestBytes));
        return Of(
            StatusCodes.Status413PayloadTooLarge,
            "The request is too large",
            $"{body}; the limit is {limit:N0} bytes (setting {setting})"
        );
    }
}
