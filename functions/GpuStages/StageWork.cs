using System.Text.Json;
using Pix2PixZero.Core;

namespace Pix2PixZero.Functions.GpuStages;

/// <summary>
/// One GPU stage of one request on the work queue: the activity whose code runs it (<see cref="Stage"/>), its input
/// (blob references and options, never tensors) and the external event its completion is raised as.
/// <see cref="Event"/> is new for every attempt, so a completion delivered twice, or one of an earlier attempt, finds
/// no one waiting for it and is ignored.
/// </summary>
public sealed record StageWork(string InstanceId, string Stage, int Attempt, string Event, JsonElement Input)
{
    /// <summary>How work items, completions and the stages' inputs and outputs are written in queue messages.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };
}

/// <summary>
/// A GPU worker's report of one work item: the stage's output, or the failure with its kind (which decides whether
/// the orchestrator tries again).
/// </summary>
public sealed record StageCompletion(
    string InstanceId,
    string Stage,
    int Attempt,
    string Event,
    JsonElement? Output,
    FailureKind? FailureKind = null,
    string? Error = null
)
{
    public bool Succeeded => FailureKind is null;

    public static StageCompletion Done(StageWork work, JsonElement output) =>
        new(work.InstanceId, work.Stage, work.Attempt, work.Event, output);

    public static StageCompletion Failed(StageWork work, FailureKind kind, string error) =>
        new(work.InstanceId, work.Stage, work.Attempt, work.Event, null, kind, error);
}
