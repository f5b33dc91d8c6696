using Microsoft.Azure.Functions.Worker;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.DurableTask.Worker;
using Microsoft.Extensions.Hosting;
using Pix2PixZero.Functions;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services.AddPipelineServices(builder.Configuration);

// Class-based orchestrators and activities: the Durable extension lists them as functions at start-up.
builder.ConfigureDurableWorker().AddTasks(PipelineRegistration.AddPipelineTasks);
builder.Build().Run();
