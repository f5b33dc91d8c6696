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
    /// whatever remains of the input's extent. Starts may be runtime values (chunk() in dynamic exports). With static
    /// shapes the slice is kept as a piece until the input's gradient is summed: slices that tile one axis (chunk(),
    /// GEGLU's two halves) are then joined by one Concat instead of two Pads and an Add.
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

        if (!_shapes.Dynamic && StaticInts(startsName) is { } starts)
        {
            var offsets = new long[rank];
            for (var j = 0; j < sliced.Length; j++)
            {
                var dim = _shapes[x][sliced[j]];
                var s = starts[j] < 0 ? starts[j] + dim : starts[j];
                offsets[sliced[j]] = Math.Clamp(s, 0, dim);
            }
            if (!_slicePieces.TryGetValue(x, out var pieces)) _slicePieces[x] = pieces = [];
            pieces.Add(new SlicePiece(_e.Scope, offsets, _shapes[y], g));
            return;
        }

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
        var begin = _e.Concat(parts, 0);
        var end = _e.Sub(_e.Sub(ShapeOf(x), ShapeOf(y)), begin);
        Pass(0, _e.Node("Pad", [g, _e.Concat([begin, end], 0)]));
    }

    /// <summary>
    /// The int64 values of a tensor computed from constants and shapes alone (chunk() exports its bounds as
    /// Shape → Gather → Add → Div → Mul) in a static graph, where every shape is fixed; null when it reads anything else.
    /// </summary>
    private long[]? StaticInts(string tensor, int depth = 0)
    {
        if (_graph.TryGetConstantInts(tensor, out var constant)) return constant;
        if (_shapes.Dynamic || depth > 16 || !_producers.TryGetValue(tensor, out var n) || n.Domain is not ("" or "ai.onnx")) return null;
        long[]? In(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? StaticInts(n.Input[i], depth + 1) : null;
        switch (n.OpType)
        {
            case "Shape":
            {
                var shape = _shapes[n.Input[0]];
                long Bound(string name, long fallback) => Math.Clamp(Axis(n.Attribute.FirstOrDefault(a => a.Name == name)?.I ?? fallback, shape.Length), 0, shape.Length);
                var (start, end) = (Bound("start", 0), Bound("end", shape.Length));
                return start < end ? shape[(int)start..(int)end] : [];
            }
            case "Gather" when (n.Attribute.FirstOrDefault(a => a.Name == "axis")?.I ?? 0) == 0:
            {
                if (In(0) is not { } data || In(1) is not { } indices) return null;
                return indices.Any(i => i < -data.Length || i >= data.Length) ? null : indices.Select(i => data[i < 0 ? i + data.Length : i]).ToArray();
            }
            case "Identity" or "Unsqueeze" or "Squeeze" or "Reshape":
                return In(0);
            case "Cast" when (n.Attribute.FirstOrDefault(a => a.Name == "to")?.I ?? 0) is TensorValues.Int64 or TensorValues.Int32:
                return In(0);
            case "Concat":
            {
                var parts = Enumerable.Range(0, n.Input.Count).Select(In).ToArray();
                return parts.Any(p => p is null) ? null : parts.SelectMany(p => p!).ToArray();
            }
            case "Add" or "Sub" or "Mul" or "Div":
            {
                if (In(0) is not { } a || In(1) is not { } b || (a.Length != b.Length && a.Length != 1 && b.Length != 1)) return null;
                if (n.OpType == "Div" && b.Contains(0)) return null;
                return Enumerable.Range(0, Math.Max(a.Length, b.Length)).Select(i =>
                {
                    var (x, y) = (a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i]);
                    return n.OpType switch { "Add" => x + y, "Sub" => x - y, "Mul" => x * y, _ => x / y };
                }).ToArray();
            }
            default:
                return null;
        }
    }

    /// <summary>A static slice's gradient: where the slice starts in its input (per axis) and its own shape.</summary>
    private sealed record SlicePiece(string? Scope, long[] Offsets, long[] Shape, string Gradient);

    /// <summary>
    /// Contributes the recorded slice pieces of x's gradient: one Concat for pieces that each cut the same single axis
    /// and together tile it, a Pad for every other piece.
    /// </summary>
    private void ContributeSlicePieces(string x, List<SlicePiece> pieces)
    {
        var scope = _e.Scope;
        var dims = _shapes[x];
        int? CutAxis(SlicePiece p) =>
            Enumerable.Range(0, dims.Length).Where(a => p.Shape[a] != dims[a]).ToArray() is [var axis] ? axis : null;
        foreach (var group in pieces.GroupBy(CutAxis))
        {
            var ordered = group.OrderBy(p => group.Key is { } a ? p.Offsets[a] : 0).ToList();
            if (group.Key is { } axis && ordered.Count > 1 && ordered[0].Offsets[axis] == 0
                && ordered[^1].Offsets[axis] + ordered[^1].Shape[axis] == dims[axis]
                && ordered.Zip(ordered.Skip(1)).All(p => p.First.Offsets[axis] + p.First.Shape[axis] == p.Second.Offsets[axis]))
            {
                _e.Scope = ordered[0].Scope;
                Contribute(x, _e.Concat(ordered.Select(p => p.Gradient), axis));
                continue;
            }
            foreach (var p in ordered)
            {
                _e.Scope = p.Scope;
                var after = Enumerable.Range(0, dims.Length).Select(a => dims[a] - p.Offsets[a] - p.Shape[a]);
                Contribute(x, _e.Node("Pad", [p.Gradient, _e.Int64s([.. p.Offsets, .. after])]));
            }
        }
        _e.Scope = scope;
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
