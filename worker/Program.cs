using Microsoft.Extensions.Hosting;
using Pix2PixZero.Functions;

// The GPU worker: a plain host that takes the GPU stages from the work queue (functions/GpuStages/StageWorker.cs).
// Settings come from the environment (Pix2PixZero__*, AzureWebJobsStorage*), as for the Functions app.
var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddGpuWorker(builder.Configuration);
builder.Build().Run();
