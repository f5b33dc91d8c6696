using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Pix2PixZero.Core;
using Pix2PixZero.Functions.Activities;
using Pix2PixZero.Functions.Tests.Support;

namespace Pix2PixZero.Functions.Tests.Orchestrations;

/// <summary>
/// A failure's kind crosses the Durable boundary, which passes on only type names and messages: the retry policy
/// retries transient failures only, and the orchestrator reads back the kind and the message of each.
/// </summary>
public sealed class FailureKindTests
{
    private const string Said = "the thing failed; do this";

    [Theory]
    [InlineData(FailureKind.Transient, 3)]
    [InlineData(FailureKind.Permanent, 1)]
    [InlineData(FailureKind.InvalidInput, 1)]
    public async Task A_new_kind_of_failure_is_retried_as_its_kind_allows_and_reaches_the_orchestrator_as_its_kind(
        FailureKind kind,
        int tries
    )
    {
        var attempts = new Attempts();
        await using var host = await GrpcSidecar.StartInMemoryAsync(
            tasks =>
            {
                tasks.AddOrchestrator<CallFailing>();
                tasks.AddActivity<Failing>();
            },
            s => s.AddSingleton(attempts)
        );

        var id = await host.Client.ScheduleNewOrchestrationInstanceAsync(nameof(CallFailing), kind);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var done = await host.Client.WaitForInstanceCompletionAsync(id, getInputsAndOutputs: true, timeout.Token);

        Assert.True(done.RuntimeStatus == OrchestrationRuntimeStatus.Completed, done.FailureDetails?.ToString());
        Assert.Equal(new Outcome(kind, Said), done.ReadOutputAs<Outcome>());
        Assert.Equal(tries, attempts.Count);
    }

    [Fact]
    public void Every_activity_of_the_app_passes_its_failures_on_with_their_kind()
    {
        var activities = typeof(PipelineActivity<,>)
            .Assembly.GetTypes()
            .Where(t => !t.IsAbstract && typeof(ITaskActivity).IsAssignableFrom(t))
            .ToList();

        Assert.NotEmpty(activities);
        Assert.All(activities, t =>
            Assert.True(
                t.BaseType is { IsGenericType: true } b && b.GetGenericTypeDefinition() == typeof(PipelineActivity<,>),
                $"{t.Name} is no PipelineActivity: its failures would reach the orchestrator without their kind"
            )
        );
    }

    public sealed record Outcome(FailureKind Kind, string Message);

    public sealed class Attempts
    {
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public void Add() => Interlocked.Increment(ref _count);
    }

    /// <summary>A Pix2PixZero failure no policy names: only its kind says what to do with it.</summary>
    public sealed class UnforeseenException(FailureKind kind) : Pix2PixZeroException(kind, Said);

    public sealed class Failing(Attempts attempts) : PipelineActivity<FailureKind, bool>
    {
        protected override Task<bool> RunActivityAsync(TaskActivityContext context, FailureKind kind)
        {
            attempts.Add();
            throw new UnforeseenException(kind);
        }
    }

    public sealed class CallFailing : TaskOrchestrator<FailureKind, Outcome>
    {
        public override async Task<Outcome> RunAsync(TaskOrchestrationContext context, FailureKind kind)
        {
            try
            {
                await context.CallActivityAsync<bool>(
                    nameof(Failing),
                    kind,
                    new ActivityRetry(3, TimeSpan.FromMilliseconds(10)).Options()
                );
                throw new InvalidOperationException("the activity always fails");
            }
            catch (TaskFailedException failure)
            {
                return new Outcome(ActivityRetry.KindOf(failure), failure.FailureDetails.ErrorMessage);
            }
        }
    }
}
