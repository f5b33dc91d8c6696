using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// Real ASP.NET Core requests (as the Functions worker hands them to the HTTP triggers) and their results as JSON.
/// </summary>
public static class HttpRequests
{
    public static HttpRequest Get(string path, string query = "") => Create("GET", path, query, null, null);

    public static HttpRequest Json(string path, object body) =>
        Create("POST", path, "", "application/json", JsonSerializer.SerializeToUtf8Bytes(body));

    public static async Task<HttpRequest> MultipartAsync(string path, byte[] image, IDictionary<string, string> fields)
    {
        using var content = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        content.Add(file, "image", "photo.png");
        foreach (var (name, value) in fields)
            content.Add(new StringContent(value, Encoding.UTF8), name);
        var bytes = await content.ReadAsByteArrayAsync();
        return Create("POST", path, "", content.Headers.ContentType!.ToString(), bytes);
    }

    public static HttpRequest Create(string method, string path, string query, string? contentType, byte[]? body)
    {
        var context = new DefaultHttpContext();
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("localhost", 7071);
        request.Path = path;
        request.QueryString = new QueryString(query);
        if (body is not null)
        {
            request.ContentType = contentType;
            request.ContentLength = body.Length;
            request.Body = new MemoryStream(body);
        }
        return request;
    }

    /// <summary>The status code and JSON body of an API result.</summary>
    public static (int Status, JsonElement Body) Read(IActionResult result)
    {
        var (status, value) = result switch
        {
            ObjectResult o => (o.StatusCode ?? 200, o.Value),
            _ => throw new InvalidOperationException($"{result.GetType().Name} has no JSON body"),
        };
        return (
            status,
            JsonSerializer.SerializeToElement(value, new JsonSerializerOptions(JsonSerializerDefaults.Web))
        );
    }
}
