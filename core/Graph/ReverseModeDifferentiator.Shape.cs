namespace Pix2PixZero.Core.Graph;

// Data movement: Transpose, Concat, Split, Slice, Resize.
public sealed partial class ReverseModeDifferentiator
{
    private void Transpose(string g)
    {
        var rank = _shapes.Rank(_node.Input[0]);
        var perm = AttrInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[rank];
        for (var i = 0; i < rank; i++) inverse[perm[i]] = i;
        Pass(0, _e.Transpose(g, inverse));
    }

    private void Concat(string g)
    {
        var rank = _shapes.Rank(_node.Output[0]);
        var axis = Axis(AttrInt("axis", 0), rank);
        var axes = _e.Int64s(axis);
        var offset = _shapes.Dynamic ? _e.Int64s(0) : null;
        long staticOffset = 0;
        for (var i = 0; i < _node.Input.Count; i++)
        {
            var input = _node.Input[i];
            string start, end;
            if (_shapes.Dynamic)
            {
                start = offset!;
                end = _e.Add(offset!, DimsOf(input, axis, axis + 1));
                offset = end;
            }
            else
            {
                start = _e.Int64s(staticOffset);
                staticOffset += _shapes[input][axis];
                end = _e.Int64s(staticOffset);
            }
            if (Needs(i)) Contribute(input, _e.Slice(g, start, end, axes));
        }
    }

    private void Split(string?[] g)
    {
        if (!Needs(0)) return;
        var rank = _shapes.Rank(_node.Input[0]);
        var axis = Axis(AttrInt("axis", 0), rank);
        var parts = _node.Output.Select((o, k) => g[k] ?? _e.Expand(Const(0), ShapeOf(o)));
        Pass(0, _e.Concat(parts, axis));
    }

    /// <summary>
    /// The adjoint of a unit-step Slice pads the gradient back with zeros: before, by the normalized start; after, by
    /// whatever remains of the input's extent. Starts may be runtime values (chunk() in dynamic exports).
    /// </summary>
    private void Slice(string g)
    {
        if (!Needs(0)) return;
        if (_graph.Opset < 11) throw Unsupported("Slice gradients need opset 11 or newer (Pad with tensor pads)");
        var (x, y) = (_node.Input[0], _node.Output[0]);
        var rank = _shapes.Rank(x);
        var startsName = _node.Input[1];
        var sliced = _node.Input.Count > 3 && _node.Input[3].Length > 0
            ? ConstantInts(3, "axes").Select(a => Axis(a, rank)).ToArray()
            : Enumerable.Range(0, (int)_shapes[startsName][0]).Select(i => (long)i).ToArray();
        if (_node.Input.Count > 4 && _node.Input[4].Length > 0 && ConstantInts(4, "steps").Any(s => s != 1))
            throw Unsupported("steps other than 1");

        string begin;
        if (!_shapes.Dynamic && _graph.TryGetConstantInts(startsName, out var starts))
        {
            var pads = new long[rank];
            for (var j = 0; j < sliced.Length; j++)
            {
                var dim = _shapes[x][sliced[j]];
                var s = starts[j] < 0 ? starts[j] + dim : starts[j];
                pads[sliced[j]] = Math.Clamp(s, 0, dim);
            }
            begin = _e.Int64s(pads);
        }
        else
        {
            var parts = new string[rank];
            for (var a = 0; a < rank; a++) parts[a] = _e.Int64s(0);
            for (var j = 0; j < sliced.Length; j++)
            {
                var a = sliced[j];
                var dim = DimsOf(x, a, a + 1);
                var s = _e.Slice(startsName, _e.Int64s(j), _e.Int64s(j + 1), _e.Int64s(0));
                if (_types.Of(startsName) != TensorValues.Int64) s = _e.Cast(s, TensorValues.Int64);
                var normalized = _e.Node("Where", [_e.Node("Less", [s, _e.Int64s(0)]), _e.Add(s, dim), s]);
                // Clamp to [0, dim] with Where: Min/Max on int64 only exist from opset 12.
                var upper = _e.Node("Where", [_e.Node("Less", [normalized, dim]), normalized, dim]);
                parts[a] = _e.Node("Where", [_e.Node("Less", [upper, _e.Int64s(0)]), _e.Int64s(0), upper]);
            }
            begin = _e.Concat(parts, 0);
        }
        var end = _e.Sub(_e.Sub(ShapeOf(x), ShapeOf(y)), begin);
        Pass(0, _e.Node("Pad", [g, _e.Concat([begin, end], 0)]));
    }

    /// <summary>Nearest-neighbour upsampling by integer factors repeats each pixel; its adjoint sums each block.</summary>
    private void Resize(string g)
    {
        if (!Needs(0)) return;
        var mode = _node.Attribute.FirstOrDefault(a => a.Name == "mode")?.S.ToStringUtf8() ?? "nearest";
        if (mode != "nearest") throw Unsupported($"mode '{mode}' (only nearest-neighbour resizing is differentiable here)");
        var (x, y) = (_node.Input[0], _node.Output[0]);
        var (xs, ys) = (_shapes[x], _shapes[y]);
        var rank = xs.Length;
        var factors = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            if (ys[i] % xs[i] != 0) throw Unsupported($"non-integer scale {ys[i]}/{xs[i]} on axis {i}");
            factors[i] = ys[i] / xs[i];
        }
        if (factors[0] != 1 || factors[1] != 1) throw Unsupported("resizing the batch or channel axis");

        // [N, C, d1·f1, d2·f2, …] → [N, C, d1, f1, d2, f2, …] → sum over the f axes.
        var pieces = new List<string> { DimsOf(x, 0, 2) };
        var sumAxes = new List<long>();
        for (var i = 2; i < rank; i++)
        {
            pieces.Add(DimsOf(x, i, i + 1));
            pieces.Add(_e.Int64s(factors[i]));
            sumAxes.Add(2 + 2 * (i - 2) + 1);
        }
        var blocks = _e.Reshape(g, _shapes.Dynamic ? _e.Concat(pieces, 0) : _e.Int64s(BlockShape(xs, factors)));
        Pass(0, _e.ReduceSum(blocks, sumAxes, keepDims: false));
    }

    private static long[] BlockShape(long[] xs, long[] factors)
    {
        var shape = new List<long> { xs[0], xs[1] };
        for (var i = 2; i < xs.Length; i++) shape.AddRange([xs[i], factors[i]]);
        return shape.ToArray();
    }
}
