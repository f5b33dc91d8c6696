using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Web;

/// <summary>
/// The web page's routes (<see cref="WebPage"/>): anonymous, as
/// the page holds no secret; the API it calls needs the key.
/// </summary>
public sealed class WebPageTrigger(WebPage page)
{
    [Function("WebPage")]
    public IActionResult Page(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.Page)] HttpRequest request
    ) => page.Page(request);

    [Function("WebPageAtPath")]
    public IActionResult PageAtPath(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.PageAtPath)] HttpRequest request
    ) => page.Page(request);

    [Function("WebPageExample")]
    public IActionResult Example(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.PageExample)] HttpRequest request,
        string file
    ) => page.Example(request, file);

    [Function("WebPageAsset")]
    public IActionResult Asset(
        [HttpTrigger(AuthorizationLevel.Anonymous, "get", Route = Routes.PageAsset)] HttpRequest request,
        string file
    ) => page.Asset(request, file);
}
