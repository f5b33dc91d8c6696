using Pix2PixZero.Core.Graph;
using Pix2PixZero.Core.Graph.Onnx;

namespace Pix2PixZero.Tests.Graph;

public class OnnxGraphOpsetTests
{
    private static OnnxGraph Model(long opset, long irVersion)
    {
        var model = new ModelProto
        {
            IrVersion = irVersion,
            Graph = new GraphProto { Name = "g" },
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = opset });
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "com.microsoft", Version = 1 });
        return new OnnxGraph(model);
    }

    [Fact]
    public void Opset_14_is_declared_17_with_the_IR_version_opset_17_came_with()
    {
        var graph = Model(14, 7);
        graph.UpgradeOpset(17);
        Assert.Equal(17, graph.Opset);
        Assert.Equal(8, graph.Model.IrVersion);
        Assert.Equal(17, graph.Model.OpsetImport.Single(o => o.Domain == "").Version);
        Assert.Equal(1, graph.Model.OpsetImport.Single(o => o.Domain == "com.microsoft").Version);
    }

    [Theory]
    [InlineData(11, 17)] // Softmax and Squeeze changed meaning at 13
    [InlineData(14, 18)] // Reduce* and Split take their axes as inputs from 18
    [InlineData(16, 15)]
    public void Upgrades_that_could_change_an_op_are_refused(long from, long to)
    {
        var graph = Model(from, 8);
        var error = Assert.Throws<InvalidOperationException>(() => graph.UpgradeOpset(to));
        Assert.Contains($"opset {from}", error.Message);
        Assert.Equal(from, graph.Opset);
    }
}
