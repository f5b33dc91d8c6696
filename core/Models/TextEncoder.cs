using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Core.Models;

/// <summary>CLIP text encoder graph: <c>input_ids</c> [B,77] → <c>last_hidden_state</c> [B,77,d].</summary>
public sealed class TextEncoder : OnnxModel
{
    private readonly string _ids;
    private readonly string _hidden;

    public TextEncoder(InferenceSession session, string modelPath)
        : base(session, modelPath, "text_encoder")
    {
        _ids = RequireInput("input_ids");
        _hidden = RequireOutput("last_hidden_state");
        SequenceLength = FixedDimension(_ids, 1) ?? 77;
    }

    public int SequenceLength { get; }

    /// <summary>Width d of the hidden states, when the graph declares it.</summary>
    public int? HiddenSize => Outputs[_hidden].Dimensions is { Length: 3 } d && d[2] > 0 ? d[2] : null;

    /// <summary>Encodes <paramref name="rows"/> sequences of token ids laid out row after row.</summary>
    public DenseTensor<float> Encode(ReadOnlySpan<int> ids, int rows)
    {
        if (ids.Length != rows * SequenceLength)
            throw new ArgumentException($"expected {rows}×{SequenceLength} token ids, got {ids.Length}");
        var all = new long[ids.Length];
        for (var i = 0; i < all.Length; i++)
            all[i] = ids[i];
        return RowBatches.Run(rows, FixedDimension(_ids, 0), chosen =>
        {
            var batch = RowBatches.Gather<long>(all, SequenceLength, chosen);
            return Run([Input(_ids, batch, [chosen.Length, SequenceLength])], _hidden)[0];
        });
    }
}
