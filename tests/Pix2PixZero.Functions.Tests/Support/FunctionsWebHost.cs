using System.Reflection;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Pix2PixZero.Functions.Tests.Support;

/// <summary>
/// The app's HTTP functions on Kestrel (loopback, a port the OS picks), routed as the Functions host routes them:
/// every method of the app's assembly with an <see cref="HttpTriggerAttribute"/>, for its HTTP methods, at its route
/// under host.json's route prefix, behind a function key unless it is anonymous. Trigger classes are created per call
/// from the pipeline host's services, the durable client is the pipeline host's, and results run through ASP.NET Core
/// MVC's executors, as in the isolated worker's ASP.NET Core integration.
/// </summary>
public sealed class FunctionsWebHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FunctionsWebHost(WebApplication app, Uri address, string key) => (_app, Address, Key) = (app, address, key);

    /// <summary>The site root, e.g. http://127.0.0.1:41234/.</summary>
    public Uri Address { get; }

    /// <summary>The function key this host accepts (x-functions-key header or code query parameter).</summary>
    public string Key { get; }

    public static async Task<FunctionsWebHost> StartAsync(PipelineTestHost pipeline)
    {
        var key = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Services.AddMvcCore();
        var app = builder.Build();

        var prefix = RoutePrefix();
        foreach (var function in HttpFunctions())
        {
            var route =
                "/"
                + string.Join('/', new[] { prefix, function.Trigger.Route ?? function.Name }.Where(p => p.Length > 0));
            app.MapMethods(route, function.Trigger.Methods!.Select(m => m.ToUpperInvariant()), context =>
                InvokeAsync(context, function, pipeline, key)
            );
        }
        await app.StartAsync();
        return new FunctionsWebHost(app, new Uri(app.Urls.Single().TrimEnd('/') + "/"), key);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record HttpFunction(string Name, MethodInfo Method, HttpTriggerAttribute Trigger);

    private static IEnumerable<HttpFunction> HttpFunctions() =>
        from type in typeof(PipelineRegistration).Assembly.GetTypes()
        from method in type.GetMethods(BindingFlags.Instance | BindingFlags.Public)
        let function = method.GetCustomAttribute<FunctionAttribute>()
        let trigger = method
            .GetParameters()
            .Select(p => p.GetCustomAttribute<HttpTriggerAttribute>())
            .SingleOrDefault(t => t is not null)
        where function is not null && trigger is not null
        select new HttpFunction(function.Name, method, trigger);

    private static string RoutePrefix()
    {
        using var host = JsonDocument.Parse(File.ReadAllText(Path.Combine(RepoPaths.Root, "host.json")));
        return
            host.RootElement.TryGetProperty("extensions", out var extensions)
            && extensions.TryGetProperty("http", out var http)
            && http.TryGetProperty("routePrefix", out var prefix)
            ? prefix.GetString()!.Trim('/')
            : "api";
    }

    private static async Task InvokeAsync(
        HttpContext context,
        HttpFunction function,
        PipelineTestHost pipeline,
        string key
    )
    {
        if (
            function.Trigger.AuthLevel != AuthorizationLevel.Anonymous
            && context.Request.Headers["x-functions-key"] != key
            && context.Request.Query["code"] != key
        )
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return;
        }
        var target = ActivatorUtilities.CreateInstance(pipeline.Services, function.Method.DeclaringType!);
        var arguments = function
            .Method.GetParameters()
            .Select(parameter =>
                parameter.ParameterType switch
                {
                    var t when t == typeof(HttpRequest) => context.Request,
                    var t when t == typeof(DurableTaskClient) => pipeline.Client,
                    var t when t == typeof(CancellationToken) => context.RequestAborted,
                    var t when t == typeof(string) => (object?)context.GetRouteValue(parameter.Name!)?.ToString(),
                    var t => throw new InvalidOperationException(
                        $"{function.Name} takes a {t.Name}, which this host does not bind"
                    ),
                }
            )
            .ToArray();
        var result = function.Method.Invoke(target, arguments) switch
        {
            Task<IActionResult> pending => await pending,
            IActionResult done => done,
            var other => throw new InvalidOperationException(
                $"{function.Name} returned {other?.GetType().Name ?? "null"}, not an IActionResult"
            ),
        };
        await result.ExecuteResultAsync(new ActionContext(context, context.GetRouteData(), new ActionDescriptor()));
    }
}
