using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Net.Http.Headers;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Hosting;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Web;

/// <summary>
/// The web page (index.html, app.css, app.js in this folder, embedded in the assembly: the app serves it with no CDN
/// and it works offline), <c>form.json</c>, the form's options (<see cref="EditForm"/>), and the example photos (the
/// repository's <c>data/images</c>, copied to <see cref="ExampleFolder"/> by the project file). The page calls the API
/// with the function key its user gives.
/// </summary>
public sealed class WebPage(AppSettings settings)
{
    public const string IndexFile = "index.html";
    public const string FormFile = "form.json";

    // Only the page's own files, from this origin; the result
    // images are blob: URLs the script makes from the API's PNGs.
    private const string ContentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; connect-src 'self'; "
        + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    /// <summary>The folder beside the app that holds the example photos.</summary>
    public const string ExampleFolder = "examples";

    private static readonly Lazy<IReadOnlyDictionary<string, PageFile>> Embedded = new(Load);

    private static readonly Lazy<IReadOnlyDictionary<string, PageFile>> ExamplePhotos = new(LoadExamples);

    /// <summary>The names of the embedded files.</summary>
    public static IEnumerable<string> Files => Embedded.Value.Keys;

    /// <summary>The file names of the example photos, in order.</summary>
    public static IReadOnlyList<string> Examples => [.. ExamplePhotos.Value.Keys.Order(StringComparer.Ordinal)];

    public IActionResult Page(HttpRequest request) => Serve(request, IndexFile);

    public IActionResult Asset(HttpRequest request, string file)
    {
        if (file != FormFile)
            return Serve(request, file);
        Protect(request.HttpContext.Response);
        return new JsonResult(EditForm.For(settings, Examples));
    }

    public IActionResult Example(HttpRequest request, string file) =>
        Serve(request, ExamplePhotos.Value, file, "example photo");

    private static IActionResult Serve(HttpRequest request, string file) =>
        Serve(request, Embedded.Value, file, "file");

    private static IActionResult Serve(
        HttpRequest request,
        IReadOnlyDictionary<string, PageFile> files,
        string file,
        string kind
    )
    {
        if (!files.TryGetValue(file, out var asset))
            return Problems.NotFound($"the page has no {kind} \"{InputText.Shorten(file)}\"");
        Protect(request.HttpContext.Response);
        // The ETag lets a browser revalidate (304) instead of downloading again after a deployment changes nothing.
        return new FileContentResult(asset.Bytes, asset.ContentType) { EntityTag = asset.ETag };
    }

    private static void Protect(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-cache";
    }

    private sealed record PageFile(byte[] Bytes, string ContentType, EntityTagHeaderValue ETag)
    {
        public static PageFile Of(string name, byte[] bytes) =>
            new(
                bytes,
                ContentTypeOf(name),
                new EntityTagHeaderValue($"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"")
            );
    }

    private const string ResourcePrefix = "Pix2PixZero.Functions.Web.";

    private static Dictionary<string, PageFile> Load()
    {
        var assembly = typeof(WebPage).Assembly;
        var files = new Dictionary<string, PageFile>(StringComparer.Ordinal);
        foreach (
            var resource in assembly
                .GetManifestResourceNames()
                .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
        )
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var name = resource[ResourcePrefix.Length..];
            files[name] = PageFile.Of(name, copy.ToArray());
        }
        return files;
    }

    // A build without the photos (none copied) serves a page without examples rather than failing.
    private static Dictionary<string, PageFile> LoadExamples()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, ExampleFolder);
        return Directory.Exists(folder)
            ? Directory
                .EnumerateFiles(folder, "*.png")
                .ToDictionary(
                    path => Path.GetFileName(path)!,
                    path => PageFile.Of(Path.GetFileName(path), File.ReadAllBytes(path))
                )
            : [];
    }

    private static string ContentTypeOf(string name) =>
        Path.GetExtension(name) switch
        {
            ".html" => "text/html; charset=utf-8",
            ".css" => "text/css; charset=utf-8",
            ".js" => "text/javascript; charset=utf-8",
            ".png" => "image/png",
            var other => throw new InvalidOperationException(
                $"the page's file {name} has the extension {other}, which WebPage does not serve"
            ),
        };
}
