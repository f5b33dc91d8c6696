using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;

namespace Pix2PixZero.Functions.Triggers;

/// <summary>HTTP routes of <see cref="EditsApi"/>; function keys guard them.</summary>
public sealed class EditsHttpTrigger(EditsApi api)
{
    [Function("SubmitEdit")]
    public Task<IActionResult> SubmitAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.Edits)] HttpRequest request,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => api.SubmitAsync(request, client, cancellationToken);

    [Function("GetEdit")]
    public Task<IActionResult> StatusAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.Edit)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => api.StatusAsync(request, id, client, cancellationToken);

    [Function("CancelEdit")]
    public Task<IActionResult> CancelAsync(
        [HttpTrigger(AuthorizationLevel.Function, "post", Route = Routes.EditCancel)] HttpRequest request,
        string id,
        [DurableClient] DurableTaskClient client,
        CancellationToken cancellationToken
    ) => api.CancelAsync(request, id, client, cancellationToken);

    [Function("GetEditResult")]
    public Task<IActionResult> ResultAsync(
        [HttpTrigger(AuthorizationLevel.Function, "get", Route = Routes.EditResult)] HttpRequest request,
        string id,
        string task,
        CancellationToken cancellationToken
    ) => api.ResultAsync(id, task, cancellationToken);
}
