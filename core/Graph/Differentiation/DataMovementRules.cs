namespace Pix2PixZero.Core.Graph.Differentiation;

/// <summary>A static slice's gradient: where the slice starts in its input (per axis) and its own shape.</summary>
internal sealed record SlicePiece(string? Scope, long[] Offsets, long[] Shape, string Gradient);

/// <summary>Data movement: Reshape and its kin, Expand, Transpose, Concat, Split, Slice, Resize.</summary>
internal static class DataMovementRules
{
    /// <summary>Reshape, Flatten, Squeeze, Unsqueeze: the gradient takes the input's shape back.</summary>
    public static void Reshape(GradientContext c) => c.Pass(0, c.Emit.Reshape(c.G, c.ShapeOf(c.Input(0))));

    public static void Expand(GradientContext c) => c.Pass(0, c.Unbroadcast(c.G, c.Shapes[c.Output(0)], c.Input(0)));

    public static void Transpose(GradientContext c)
    {
        var rank = c.Shapes.Rank(c.Input(0));
        var perm = c.AttrInts("perm") ?? Enumerable.Range(0, rank).Reverse().Select(i => (long)i).ToArray();
        var inverse = new long[rank];
        for (var i = 0; i < rank; i++)
            inverse[perm[i]] = i;
        c.Pass(0, c.Emit.Transpose(c.G, inverse));
    }

    public static void Concat(GradientContext c)
    {
        var rank = c.Shapes.Rank(c.Output(0));
        var axis = GradientContext.Axis(c.AttrInt("axis", 0), rank);
        var axes = c.Emit.Int64s(axis);
        var offset = c.Shapes.Dynamic ? c.Emit.Int64s(0) : null;
        long staticOffset = 0;
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            var input = c.Input(i);
            string start,
                end;
            if (c.Shapes.Dynamic)
            {
                start = offset!;
                end = c.Emit.Add(offset!, c.DimsOf(input, axis, axis + 1));
                offset = end;
            }
            else
            {
                start = c.Emit.Int64s(staticOffset);
                staticOffset += c.Shapes[input][axis];
                end = c.Emit.Int64s(staticOffset);
            }
            if (c.Needs(i))
                c.Contribute(input, c.Emit.Slice(c.G, start, end, axes));
        }
    }

    public static void Split(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var rank = c.Shapes.Rank(c.Input(0));
        var axis = GradientContext.Axis(c.AttrInt("axis", 0), rank);
        var parts = c.Node.Output.Select((o, k) => c.OutputGradients[k] ?? c.Emit.Expand(c.Const(0), c.ShapeOf(o)));
        c.Pass(0, c.Emit.Concat(parts, axis));
    }

    /// <summary>
    /// The adjoint of a unit-step Slice pads the gradient back with zeros: before, by the normalized start; after, by
    /// whatever remains of the input's extent. Starts may be runtime values (chunk() in dynamic exports). With static
    /// shapes the slice is kept as a piece until the input's gradient is summed: slices that tile one axis (chunk(),
    /// GEGLU's two halves) are then joined by one Concat instead of two Pads and an Add.
    /// </summary>
    public static void Slice(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        if (c.Graph.Opset < 11)
            throw c.Unsupported("Slice gradients need opset 11 or newer (Pad with tensor pads)");
        var (x, y) = (c.Input(0), c.Output(0));
        var rank = c.Shapes.Rank(x);
        var startsName = c.Input(1);
        var sliced =
            c.Node.Input.Count > 3 && c.Node.Input[3].Length > 0
                ? c.ConstantInts(3, "axes").Select(a => GradientContext.Axis(a, rank)).ToArray()
                : Enumerable.Range(0, (int)c.Shapes[startsName][0]).Select(i => (long)i).ToArray();
        if (c.Node.Input.Count > 4 && c.Node.Input[4].Length > 0 && c.ConstantInts(4, "steps").Any(s => s != 1))
            throw c.Unsupported("steps other than 1");

        if (!c.Shapes.Dynamic && StaticInts(c, startsName) is { } starts)
        {
            var offsets = new long[rank];
            for (var j = 0; j < sliced.Length; j++)
            {
                var dim = c.Shapes[x][sliced[j]];
                var s = starts[j] < 0 ? starts[j] + dim : starts[j];
                offsets[sliced[j]] = Math.Clamp(s, 0, dim);
            }
            c.AddSlicePiece(x, new SlicePiece(c.Emit.Scope, offsets, c.Shapes[y], c.G));
            return;
        }

        var parts = new string[rank];
        for (var a = 0; a < rank; a++)
            parts[a] = c.Emit.Int64s(0);
        for (var j = 0; j < sliced.Length; j++)
        {
            var a = sliced[j];
            var dim = c.DimsOf(x, a, a + 1);
            var s = c.Emit.Slice(startsName, c.Emit.Int64s(j), c.Emit.Int64s(j + 1), c.Emit.Int64s(0));
            if (c.Types.Of(startsName) != TensorValues.Int64)
                s = c.Emit.Cast(s, TensorValues.Int64);
            var normalized = c.Emit.Node("Where", [c.Emit.Node("Less", [s, c.Emit.Int64s(0)]), c.Emit.Add(s, dim), s]);
            // Clamp to [0, dim] with Where: Min/Max on int64 only exist from opset 12.
            var upper = c.Emit.Node("Where", [c.Emit.Node("Less", [normalized, dim]), normalized, dim]);
            parts[a] = c.Emit.Node("Where", [c.Emit.Node("Less", [upper, c.Emit.Int64s(0)]), c.Emit.Int64s(0), upper]);
        }
        var begin = c.Emit.Concat(parts, 0);
        var end = c.Emit.Sub(c.Emit.Sub(c.ShapeOf(x), c.ShapeOf(y)), begin);
        c.Pass(0, c.Emit.Node("Pad", [c.G, c.Emit.Concat([begin, end], 0)]));
    }

    /// <summary>
    /// The int64 values of a tensor computed from constants and shapes alone (chunk() exports its bounds as
    /// Shape → Gather → Add → Div → Mul) in a static graph, where
    /// every shape is fixed; null when it reads anything else.
    /// </summary>
    private static long[]? StaticInts(GradientContext c, string tensor, int depth = 0)
    {
        if (c.Graph.TryGetConstantInts(tensor, out var constant))
            return constant;
        if (c.Shapes.Dynamic || depth > 16 || c.ProducerOf(tensor) is not { } n || n.Domain is not ("" or "ai.onnx"))
            return null;
        long[]? In(int i) => i < n.Input.Count && n.Input[i].Length > 0 ? StaticInts(c, n.Input[i], depth + 1) : null;
        switch (n.OpType)
        {
            case "Shape":
            {
                var shape = c.Shapes[n.Input[0]];
                long Bound(string name, long fallback) =>
                    Math.Clamp(
                        GradientContext.Axis(GradientContext.AttrInt(n, name, fallback), shape.Length),
                        0,
                        shape.Length
                    );
                var (start, end) = (Bound("start", 0), Bound("end", shape.Length));
                return start < end ? shape[(int)start..(int)end] : [];
            }
            case "Gather" when GradientContext.AttrInt(n, "axis", 0) == 0:
            {
                if (In(0) is not { } data || In(1) is not { } indices)
                    return null;
                return indices.Any(i => i < -data.Length || i >= data.Length)
                    ? null
                    : indices.Select(i => data[i < 0 ? i + data.Length : i]).ToArray();
            }
            case "Identity" or "Unsqueeze" or "Squeeze" or "Reshape":
                return In(0);
            case "Cast" when GradientContext.AttrInt(n, "to", 0) is TensorValues.Int64 or TensorValues.Int32:
                return In(0);
            case "Concat":
            {
                var parts = Enumerable.Range(0, n.Input.Count).Select(In).ToArray();
                return parts.Any(p => p is null) ? null : parts.SelectMany(p => p!).ToArray();
            }
            case "Add" or "Sub" or "Mul" or "Div":
            {
                if (
                    In(0) is not { } a
                    || In(1) is not { } b
                    || (a.Length != b.Length && a.Length != 1 && b.Length != 1)
                )
                    return null;
                if (n.OpType == "Div" && b.Contains(0))
                    return null;
                return Enumerable
                    .Range(0, Math.Max(a.Length, b.Length))
                    .Select(i =>
                    {
                        var (x, y) = (a[a.Length == 1 ? 0 : i], b[b.Length == 1 ? 0 : i]);
                        return n.OpType switch
                        {
                            "Add" => x + y,
                            "Sub" => x - y,
                            "Mul" => x * y,
                            _ => x / y,
                        };
                    })
                    .ToArray();
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// Contributes the recorded slice pieces of x's gradient: one Concat for pieces that each cut the same single axis
    /// and together tile it, a Pad for every other piece.
    /// </summary>
    public static void ContributeSlicePieces(GradientContext c, string x, List<SlicePiece> pieces)
    {
        var scope = c.Emit.Scope;
        var dims = c.Shapes[x];
        int? CutAxis(SlicePiece p) =>
            Enumerable.Range(0, dims.Length).Where(a => p.Shape[a] != dims[a]).ToArray() is [var axis] ? axis : null;
        foreach (var group in pieces.GroupBy(CutAxis))
        {
            var ordered = group.OrderBy(p => group.Key is { } a ? p.Offsets[a] : 0).ToList();
            if (
                group.Key is { } axis
                && ordered.Count > 1
                && ordered[0].Offsets[axis] == 0
                && ordered[^1].Offsets[axis] + ordered[^1].Shape[axis] == dims[axis]
                && ordered
                    .Zip(ordered.Skip(1))
                    .All(p => p.First.Offsets[axis] + p.First.Shape[axis] == p.Second.Offsets[axis])
            )
            {
                c.Emit.Scope = ordered[0].Scope;
                c.Contribute(x, c.Emit.Concat(ordered.Select(p => p.Gradient), axis));
                continue;
            }
            foreach (var p in ordered)
            {
                c.Emit.Scope = p.Scope;
                var after = Enumerable.Range(0, dims.Length).Select(a => dims[a] - p.Offsets[a] - p.Shape[a]);
                c.Contribute(x, c.Emit.Node("Pad", [p.Gradient, c.Emit.Int64s([.. p.Offsets, .. after])]));
            }
        }
        c.Emit.Scope = scope;
    }

    /// <summary>
    /// Nearest-neighbour upsampling by integer factors repeats each pixel; its adjoint sums each block.
    /// </summary>
    public static void Resize(GradientContext c)
    {
        if (!c.Needs(0))
            return;
        var mode = c.AttrString("mode", "nearest");
        if (mode != "nearest")
            throw c.Unsupported($"mode '{mode}' (only nearest-neighbour resizing is differentiable here)");
        var (x, y) = (c.Input(0), c.Output(0));
        var (xs, ys) = (c.Shapes[x], c.Shapes[y]);
        var rank = xs.Length;
        var factors = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            if (ys[i] % xs[i] != 0)
                throw c.Unsupported($"non-integer scale {ys[i]}/{xs[i]} on axis {i}");
            factors[i] = ys[i] / xs[i];
        }
        if (factors[0] != 1 || factors[1] != 1)
            throw c.Unsupported("resizing the batch or channel axis");

        // [N, C, d1·f1, d2·f2, …] → [N, C, d1, f1, d2, f2, …] → sum over the f axes.
        var pieces = new List<string> { c.DimsOf(x, 0, 2) };
        var sumAxes = new List<long>();
        for (var i = 2; i < rank; i++)
        {
            pieces.Add(c.DimsOf(x, i, i + 1));
            pieces.Add(c.Emit.Int64s(factors[i]));
            sumAxes.Add(2 + 2 * (i - 2) + 1);
        }
        var blocks = c.Emit.Reshape(
            c.G,
            c.Shapes.Dynamic ? c.Emit.Concat(pieces, 0) : c.Emit.Int64s(BlockShape(xs, factors))
        );
        c.Pass(0, c.Emit.ReduceSum(blocks, sumAxes, keepDims: false));
    }

    private static long[] BlockShape(long[] xs, long[] factors)
    {
        var shape = new List<long> { xs[0], xs[1] };
        for (var i = 2; i < xs.Length; i++)
            shape.AddRange([xs[i], factors[i]]);
        return shape.ToArray();
    }
}
