using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Runtime;

[Collection(RunAlone.Name)]
public sealed class OrtProfileTests
{
    [Fact]
    public void A_profiled_sessions_trace_holds_each_run_with_the_kernels_of_its_graph()
    {
        var m = new GraphTestModel(17, (int)TensorProto.Types.DataType.Float, dynamic: false);
        var x = m.Input("x", 4, 64, 32);
        var y = m.Node("Softmax", [m.Node("Relu", [x], "r")], "s", Int("axis", -1));
        m.Output(m.Node("Sub", [y, x], "y"));
        var bytes = m.Build().ToBytes();
        var input = new DenseTensor<float>(m.Feeds[x].Values.Select(v => (float)v).ToArray(), [4, 64, 32]);
        var folder = Directory.CreateTempSubdirectory("p2pz-profile-").FullName;
        var factory = new OnnxSessionFactory(ExecutionProvider.Cpu) { ProfileFolder = folder };
        var strayTraces = StrayTraces();

        using (var session = factory.Create(bytes, "three runs.onnx"))
            for (var i = 0; i < 3; i++)
                session.Run([NamedOnnxValue.CreateFromTensor(x, input)]).Dispose();

        var trace = Assert.Single(Directory.GetFiles(folder, "three runs_*.json"));
        Assert.Equal(strayTraces, StrayTraces());
        var profile = OrtProfile.Read(trace);
        Assert.Equal(3, profile.Runs.Count);
        foreach (var run in profile.Runs)
        {
            Assert.Equal(["Relu", "Softmax", "Sub"], run.Kernels.Select(k => k.OpType).Order().ToArray());
            Assert.All(run.Kernels, k => Assert.InRange(k.Microseconds, 0, run.Microseconds));
        }
        var table = OrtProfile.ByOpType(profile.Runs.Skip(1), calls: 2);
        Assert.Equal(3, table.Count);
        Assert.Equal(1.0, table.Sum(t => t.Share), 9);
        Assert.True(table.Zip(table.Skip(1)).All(p => p.First.Milliseconds >= p.Second.Milliseconds));
        var kernelMs = profile.Runs.Skip(1).SelectMany(r => r.Kernels).Sum(k => k.Microseconds) / 1000;
        Assert.Equal(kernelMs / 2, table.Sum(t => t.Milliseconds), 9);
    }

    [Fact]
    public void Sessions_of_a_factory_without_a_profile_folder_write_no_trace()
    {
        var m = new GraphTestModel(17, (int)TensorProto.Types.DataType.Float, dynamic: false);
        var x = m.Input("x", 2, 3);
        m.Output(m.Node("Relu", [x], "y"));
        var before = StrayTraces();

        using (var session = new OnnxSessionFactory(ExecutionProvider.Cpu).Create(m.Build().ToBytes(), "unprofiled"))
            session.Run([NamedOnnxValue.CreateFromTensor(x, new DenseTensor<float>(new float[6], [2, 3]))]).Dispose();

        Assert.Equal(before, StrayTraces());
    }

    /// <summary>Traces under ONNX Runtime's default name, which it writes into the working folder.</summary>
    private static int StrayTraces() =>
        Directory.GetFiles(Environment.CurrentDirectory, "onnxruntime_profile_*.json").Length;
}
