using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>HTTP routes of <see cref="DirectionsApi"/>; function keys guard them.</summary>
public sealed class DirectionsHttpTrigger(DirectionsApi api)
{
    [Function("ListDirections")]
    public IActionResult List(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Directions)] HttpRequest request
    ) => api.List();

    [Function("ComputeDirection")]
    public Task<IActionResult> ComputeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.Directions)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => api.ComputeAsync(request, client, cancellationToken);

    [Function("GetDirection")]
    public Task<IActionResult> DescribeAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Direction)] HttpRequest request,
        string word,
        CancellationToken cancellationToken
    ) => api.DescribeAsync(request, word, cancellationToken);
}
