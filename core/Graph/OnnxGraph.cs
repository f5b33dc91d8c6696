using Google.Protobuf;
using Pix2PixZero.Core.Graph.Onnx;
using Pix2PixZero.Core.Serialization;

namespace Pix2PixZero.Core.Graph;

/// <summary>
/// An ONNX model held as its protobuf, with the indexes graph rewriting needs: which node produces a tensor,
/// which nodes consume it, topological order, reachability, pruning and fresh names. Initializers stored as
/// external data are kept as references (same <c>location</c>, offset, length): a graph saved in the source's
/// folder reads the same weights file, nothing is copied.
/// </summary>
public sealed class OnnxGraph
{
    private readonly HashSet<string> _usedNames = new(StringComparer.Ordinal);
    private int _nameCounter;

    public OnnxGraph(ModelProto model)
    {
        Model = model;
        Opset = model
            .OpsetImport.Where(o => o.Domain is "" or "ai.onnx")
            .Select(o => o.Version)
            .DefaultIfEmpty(0)
            .Max();
        if (Opset == 0)
            throw new InvalidDataException(
                "The model declares no default-domain (ai.onnx) opset; it is not a usable ONNX graph."
            );
        foreach (var n in Graph.Node)
        {
            if (n.Name.Length > 0)
                _usedNames.Add(n.Name);
            foreach (var o in n.Output)
                _usedNames.Add(o);
        }
        foreach (var i in Graph.Input)
            _usedNames.Add(i.Name);
        foreach (var i in Graph.Initializer)
            _usedNames.Add(i.Name);
    }

    public ModelProto Model { get; }
    public GraphProto Graph => Model.Graph;

    /// <summary>Version of the default ONNX domain the model declares; emitted ops must be valid for it.</summary>
    public long Opset { get; private set; }

    /// <summary>
    /// Declares default-domain opset <paramref name="version"/> for a model of opset 13 to 16, whose ops mean the same
    /// there: versions 14 to 17 of the ops such graphs use only add element types, optional attributes with
    /// defaults that keep the old behaviour (Reshape allowzero, Shape start/end) and new ops (LayerNormalization at
    /// 17). The IR version is raised to 8, the one opset 17 came with, when it is lower.
    /// </summary>
    public void UpgradeOpset(long version)
    {
        if (Opset < 13 || version > 17 || version < Opset)
            throw new InvalidOperationException(
                $"opset {Opset} cannot be declared as {version}: only 13–16 → ≤ 17 keeps every op's meaning"
            );
        if (version == Opset)
            return;
        foreach (var import in Model.OpsetImport.Where(o => o.Domain is "" or "ai.onnx"))
            import.Version = version;
        Model.IrVersion = Math.Max(Model.IrVersion, 8);
        Opset = version;
    }

    public static OnnxGraph Load(string path)
    {
        using var stream = File.OpenRead(path);
        var parser = new MessageParser<ModelProto>(() => new ModelProto());
        return new OnnxGraph(
            parser
                .WithDiscardUnknownFields(false)
                .ParseFrom(CodedInputStream.CreateWithLimits(stream, int.MaxValue, 1000))
        );
    }

    public static OnnxGraph FromBytes(byte[] bytes) => new(ModelProto.Parser.ParseFrom(bytes));

    public OnnxGraph Clone() => new(Model.Clone());

    public byte[] ToBytes() => Model.ToByteArray();

    /// <summary>Writes the model atomically (<see cref="AtomicFile"/>).</summary>
    public void Save(string path) => AtomicFile.Write(path, Model.WriteTo);

    public TensorProto? Initializer(string name) => Graph.Initializer.FirstOrDefault(t => t.Name == name);

    /// <summary>Node producing each tensor name (initializers and graph inputs have none).</summary>
    public Dictionary<string, NodeProto> Producers()
    {
        var map = new Dictionary<string, NodeProto>(StringComparer.Ordinal);
        foreach (var n in Graph.Node)
        foreach (var o in n.Output)
            if (o.Length > 0)
                map[o] = n;
        return map;
    }

    public Dictionary<string, List<NodeProto>> Consumers()
    {
        var map = new Dictionary<string, List<NodeProto>>(StringComparer.Ordinal);
        foreach (var n in Graph.Node)
        foreach (var i in n.Input.Where(i => i.Length > 0))
        {
            if (!map.TryGetValue(i, out var list))
                map[i] = list = new List<NodeProto>();
            if (!list.Contains(n))
                list.Add(n);
        }
        return map;
    }

    /// <summary>
    /// Nodes ordered so every node follows the producers of its inputs (stable with respect to file order).
    /// </summary>
    public List<NodeProto> TopologicalOrder()
    {
        var producers = Producers();
        var consumers = Consumers();
        var pending = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in Graph.Node)
            pending[n] = n.Input.Where(i => i.Length > 0 && producers.ContainsKey(i)).Distinct().Count();
        var index = new Dictionary<NodeProto, int>(ReferenceEqualityComparer.Instance);
        for (var i = 0; i < Graph.Node.Count; i++)
            index[Graph.Node[i]] = i;
        var ready = new PriorityQueue<NodeProto, int>();
        foreach (var (n, c) in pending)
            if (c == 0)
                ready.Enqueue(n, index[n]);
        var order = new List<NodeProto>(Graph.Node.Count);
        while (ready.TryDequeue(out var node, out _))
        {
            order.Add(node);
            foreach (var o in node.Output.Where(o => o.Length > 0).Distinct())
                if (consumers.TryGetValue(o, out var users))
                    foreach (var u in users)
                        if (--pending[u] == 0)
                            ready.Enqueue(u, index[u]);
        }
        if (order.Count != Graph.Node.Count)
            throw new InvalidDataException(
                "The graph has a cycle or a node reads a tensor that nothing produces; it cannot be ordered."
            );
        return order;
    }

    /// <summary>Puts the graph's nodes in <see cref="TopologicalOrder"/>, as the ONNX format requires.</summary>
    public void SortTopologically()
    {
        var order = TopologicalOrder();
        Graph.Node.Clear();
        Graph.Node.AddRange(order);
    }

    /// <summary>
    /// Every floating-point tensor whose values depend on <paramref name="source"/>'s values (the source included).
    /// Dependence through shapes (Shape → Reshape target, batch-size Expand) does not count: it carries no gradient
    /// and does not make a cross-attention key depend on the sample.
    /// </summary>
    public HashSet<string> ValueDependentsOf(string source, TensorTypes types)
    {
        var reached = new HashSet<string>(StringComparer.Ordinal) { source };
        foreach (var n in TopologicalOrder())
            if (n.Input.Any(reached.Contains))
                foreach (var o in n.Output.Where(o => o.Length > 0 && types.IsFloating(o)))
                    reached.Add(o);
        return reached;
    }

    /// <summary>Every tensor the given tensors are computed from (themselves included).</summary>
    public HashSet<string> AncestorsOf(IEnumerable<string> targets)
    {
        var producers = Producers();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var stack = new Stack<string>(targets);
        while (stack.Count > 0)
        {
            var t = stack.Pop();
            if (!seen.Add(t) || !producers.TryGetValue(t, out var n))
                continue;
            foreach (var i in n.Input.Where(i => i.Length > 0))
                stack.Push(i);
        }
        return seen;
    }

    /// <summary>
    /// Keeps only the nodes, initializers and inputs the graph outputs need. Inference runtimes execute every node
    /// of a graph whatever is fetched, so an unpruned graph would pay for the whole UNet.
    /// </summary>
    public void Prune()
    {
        var needed = AncestorsOf(Graph.Output.Select(o => o.Name));
        var keepNodes = Graph.Node.Where(n => n.Output.Any(needed.Contains)).ToList();
        Graph.Node.Clear();
        Graph.Node.AddRange(keepNodes);
        var allInitializers = Graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var keepInit = Graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        Graph.Initializer.Clear();
        Graph.Initializer.AddRange(keepInit);
        var keepInfo = Graph.ValueInfo.Where(v => needed.Contains(v.Name)).ToList();
        Graph.ValueInfo.Clear();
        Graph.ValueInfo.AddRange(keepInfo);
        // Real graph inputs are the caller's contract and stay even when unused; inputs that only declare an
        // initializer (old IR style) go with their initializer.
        var keepInputs = Graph.Input.Where(i => needed.Contains(i.Name) || !allInitializers.Contains(i.Name)).ToList();
        Graph.Input.Clear();
        Graph.Input.AddRange(keepInputs);
    }

    /// <summary>A tensor or node name not used anywhere in the graph yet.</summary>
    public string UniqueName(string prefix)
    {
        string name;
        do name = $"{prefix}_{_nameCounter++}";
        while (!_usedNames.Add(name));
        return name;
    }

    /// <summary>
    /// Reserves a caller-chosen name (a new graph input or output); fails if the graph already uses it.
    /// </summary>
    public string Reserve(string name)
    {
        if (!_usedNames.Add(name))
            throw new InvalidOperationException(
                $"The name '{name}' is already used in the graph; cannot add it as a new tensor."
            );
        return name;
    }

    /// <summary>
    /// Integer values of a constant tensor (initializer or Constant node), e.g. axes, shapes, split sizes.
    /// </summary>
    public bool TryGetConstantInts(string name, out long[] values)
    {
        values = [];
        if (name.Length == 0)
            return false;
        var init = Initializer(name);
        if (init is not null)
            return TensorValues.TryReadInts(init, out values);
        var node = Graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(name));
        if (node is null)
            return false;
        foreach (var a in node.Attribute)
        {
            switch (a.Name)
            {
                case "value":
                    return TensorValues.TryReadInts(a.T, out values);
                case "value_ints":
                    values = a.Ints.ToArray();
                    return true;
                case "value_int":
                    values = [a.I];
                    return true;
            }
        }
        return false;
    }

    /// <summary>
    /// Floating-point values of a constant tensor (initializer or Constant node), e.g. a Pow exponent.
    /// </summary>
    public bool TryGetConstantFloats(string name, out double[] values)
    {
        values = [];
        var init = Initializer(name);
        if (init is not null)
            return TensorValues.TryReadFloats(init, out values);
        var node = Graph.Node.FirstOrDefault(n => n.OpType == "Constant" && n.Output.Contains(name));
        var attr = node?.Attribute.FirstOrDefault(a => a.Name is "value" or "value_float" or "value_floats");
        if (attr is null)
            return false;
        switch (attr.Name)
        {
            case "value":
                return TensorValues.TryReadFloats(attr.T, out values);
            case "value_float":
                values = [attr.F];
                return true;
            default:
                values = attr.Floats.Select(f => (double)f).ToArray();
                return true;
        }
    }
}
