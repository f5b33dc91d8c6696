using System.Runtime.CompilerServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Tests.Support;
using static Pix2PixZero.Core.Graph.GraphEmitter;

namespace Pix2PixZero.Tests.Runtime;

public sealed class OnnxSessionFactoryTests
{
    /// <summary>
    /// Settles ONNX Runtime's environment the way the apps do (their first factory creates it), whichever test
    /// class happens to touch ONNX Runtime first.
    /// </summary>
#pragma warning disable CA2255 // a test assembly's setup, not a library's
    [ModuleInitializer]
    internal static void CreateTheEnvironmentLikeTheApps() => _ = OnnxSessionFactory.SharedThreadPool;
#pragma warning restore CA2255

    [Fact]
    public void Factory_sessions_share_the_global_thread_pool_and_compute_what_a_session_with_its_own_pool_does()
    {
        Assert.True(
            OnnxSessionFactory.SharedThreadPool,
            "the first factory should have created the environment with one shared pool"
        );
        var m = new GraphTestModel(17, (int)TensorProto.Types.DataType.Float, dynamic: false);
        var x = m.Input("x", 4, 64, 32);
        var scores = m.Node("MatMul", [x, m.Node("Transpose", [x], "xt", Ints("perm", [0, 2, 1]))], "scores");
        m.Output(m.Node("Softmax", [scores], "y", Int("axis", -1)));
        var bytes = m.Build().ToBytes();
        var input = new DenseTensor<float>(m.Feeds[x].Values.Select(v => (float)v).ToArray(), [4, 64, 32]);

        var factory = new OnnxSessionFactory(ExecutionProvider.Cpu);
        using var shared1 = factory.Create(bytes, "test graph");
        using var shared2 = factory.Create(bytes, "test graph");
        using var own = new InferenceSession(bytes);
        float[] Run(InferenceSession s)
        {
            using var outputs = s.Run([NamedOnnxValue.CreateFromTensor(x, input)]);
            return outputs[0].AsEnumerable<float>().ToArray();
        }

        var expected = Run(own);
        var results = new float[2][];
        Parallel.For(0, 2, i => results[i] = Run(i == 0 ? shared1 : shared2)); // two sessions at once on the one pool
        Assert.Equal(expected, results[0]);
        Assert.Equal(expected, results[1]);
    }
}
