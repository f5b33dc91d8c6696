using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Azure.Storage.Blobs;
using Pix2PixZero.Core.Pipeline;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Storage;

public class ProgressBlobTests
{
    [Fact]
    public void While_storage_is_away_progress_writes_give_up_quickly_and_never_fail_the_work_they_describe()
    {
        // A port bound and never listened on: connections to it are refused, as while the storage account is
        // unreachable, and no other process can take it while the test runs.
        using var closed = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        closed.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var unreachable = new BlobServiceClient(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
                + $"BlobEndpoint=http://127.0.0.1:{((IPEndPoint)closed.LocalEndPoint!).Port}/devstoreaccount1;"
        );
        var progress = new ProgressBlob(new PipelineBlobs(unreachable), "0123abcd");

        var clock = Stopwatch.StartNew();
        progress.OnStepEnd(new PipelineStep(EditStage.Invert, 0, 50));
        var first = clock.Elapsed;
        clock.Restart();
        for (var step = 1; step <= 50; step++)
            progress.OnStepEnd(new PipelineStep(EditStage.Invert, step, 50));

        Assert.True(
            first < ProgressBlob.WriteTimeout + TimeSpan.FromSeconds(2),
            $"the first failing write took {first.TotalSeconds:F1} s"
        );
        Assert.True(
            clock.Elapsed < TimeSpan.FromSeconds(1),
            $"the steps after it waited {clock.Elapsed.TotalSeconds:F1} s for storage"
        );
    }
}
