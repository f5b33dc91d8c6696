using Mono.Cecil;
using Mono.Cecil.Cil;

namespace Pix2PixZero.TestSupport;

/// <summary>One folder of an assembly using another, with one place that does (<c>Type → Type</c>).</summary>
public sealed record FolderDependency(string From, string To, string Example)
{
    public override string ToString() => $"{Name(From)} → {Name(To)} ({Example})";

    public static string Name(string folder) => folder.Length == 0 ? "(root)" : folder;
}

/// <summary>
/// Which folders of an assembly use which, read from its compiled IL: each type's base type, interfaces, generic
/// constraints and attributes, its fields, properties, events and method signatures, and what its method bodies name
/// (types, methods, fields, locals, caught exceptions). A folder is a namespace just below the assembly's root
/// namespace ("" for the root itself); deeper namespaces count as their folder (<c>Graph.Differentiation</c> is part
/// of <c>Graph</c>), and types outside the root (compiler and source-generator output) are left out. Nested types,
/// compiler-made ones included (lambdas, async state machines), count as their outermost type. What the compiler
/// inlines leaves no trace: constants, <c>nameof</c>, doc comments' <c>cref</c>s.
/// </summary>
public sealed class FolderGraph
{
    private FolderGraph(IReadOnlyCollection<string> folders, IReadOnlyList<FolderDependency> dependencies)
    {
        Folders = folders;
        Dependencies = dependencies;
    }

    public IReadOnlyCollection<string> Folders { get; }

    /// <summary>Every pair of distinct folders where the first uses the second, once.</summary>
    public IReadOnlyList<FolderDependency> Dependencies { get; }

    public static FolderGraph Read(System.Reflection.Assembly assembly, string rootNamespace)
    {
        using var module = ModuleDefinition.ReadModule(assembly.Location);
        var folders = new SortedSet<string>(StringComparer.Ordinal);
        var dependencies = new Dictionary<(string, string), FolderDependency>();
        foreach (var type in module.Types)
        {
            if (FolderOf(type, rootNamespace) is not { } from)
                continue;
            folders.Add(from);
            foreach (var used in UsedTypes(type).Distinct())
                if (
                    used.Scope == module
                    && FolderOf(Outermost(used), rootNamespace) is { } to
                    && to != from
                    && !dependencies.ContainsKey((from, to))
                )
                    dependencies[(from, to)] = new FolderDependency(from, to, $"{type.Name} → {Outermost(used).Name}");
        }
        return new FolderGraph(folders, [.. dependencies.Values.OrderBy(d => d.From).ThenBy(d => d.To)]);
    }

    /// <summary>
    /// One cycle through each group of folders that use each other, as the dependencies that close it; empty when the
    /// folders form a directed acyclic graph.
    /// </summary>
    public IReadOnlyList<IReadOnlyList<FolderDependency>> Cycles()
    {
        var uses = Dependencies.ToLookup(d => d.From);
        var cycles = new List<IReadOnlyList<FolderDependency>>();
        var inCycle = new HashSet<string>();
        foreach (var start in Folders)
        {
            if (inCycle.Contains(start) || ShortestPath(uses, start, start) is not { } cycle)
                continue;
            cycles.Add(cycle);
            inCycle.UnionWith(cycle.Select(d => d.From));
        }
        return cycles;
    }

    public static string Describe(IEnumerable<FolderDependency> cycle) =>
        string.Join("; ", cycle.Select(d => d.ToString()));

    // Breadth first, so a reported cycle is one of the shortest through its start.
    private static List<FolderDependency>? ShortestPath(ILookup<string, FolderDependency> uses, string from, string to)
    {
        var reachedBy = new Dictionary<string, FolderDependency>();
        var queue = new Queue<string>([from]);
        while (queue.TryDequeue(out var current))
            foreach (var step in uses[current])
            {
                if (step.To == to)
                {
                    var path = new List<FolderDependency> { step };
                    for (var at = current; at != from; at = reachedBy[at].From)
                        path.Insert(0, reachedBy[at]);
                    return path;
                }
                if (step.To != from && reachedBy.TryAdd(step.To, step))
                    queue.Enqueue(step.To);
            }
        return null;
    }

    private static TypeReference Outermost(TypeReference type)
    {
        while (type.DeclaringType is { } outer)
            type = outer;
        return type;
    }

    private static string? FolderOf(TypeReference type, string rootNamespace) =>
        type.Namespace == rootNamespace ? ""
        : type.Namespace.StartsWith(rootNamespace + ".", StringComparison.Ordinal)
            ? type.Namespace[(rootNamespace.Length + 1)..].Split('.')[0]
        : null;

    private static IEnumerable<TypeReference> UsedTypes(TypeDefinition type)
    {
        IEnumerable<TypeReference> used =
        [
            .. Parts(type.BaseType),
            .. type.Interfaces.SelectMany(i => Parts(i.InterfaceType)),
            .. Constraints(type),
            .. Attributes(type),
            .. type.Fields.SelectMany(f => Parts(f.FieldType).Concat(Attributes(f))),
            .. type.Properties.SelectMany(p => Parts(p.PropertyType).Concat(Attributes(p))),
            .. type.Events.SelectMany(e => Parts(e.EventType)),
            .. type.Methods.SelectMany(UsedTypes),
        ];
        return used.Concat(type.NestedTypes.SelectMany(UsedTypes));
    }

    private static IEnumerable<TypeReference> UsedTypes(MethodDefinition method)
    {
        IEnumerable<TypeReference> signature =
        [
            .. Signature(method),
            .. Constraints(method),
            .. Attributes(method),
            .. method.Parameters.SelectMany(Attributes),
        ];
        if (!method.HasBody)
            return signature;
        return signature
            .Concat(method.Body.Variables.SelectMany(v => Parts(v.VariableType)))
            .Concat(method.Body.ExceptionHandlers.SelectMany(h => Parts(h.CatchType)))
            .Concat(method.Body.Instructions.SelectMany(Operand));
    }

    private static IEnumerable<TypeReference> Operand(Instruction instruction) =>
        instruction.Operand switch
        {
            TypeReference type => Parts(type),
            MethodReference method => Signature(method),
            FieldReference field => Parts(field.DeclaringType).Concat(Parts(field.FieldType)),
            _ => [],
        };

    private static IEnumerable<TypeReference> Signature(MethodReference method)
    {
        IEnumerable<TypeReference> parts =
        [
            .. Parts(method.DeclaringType),
            .. Parts(method.ReturnType),
            .. method.Parameters.SelectMany(p => Parts(p.ParameterType)),
        ];
        return method is GenericInstanceMethod generic
            ? parts.Concat(generic.GenericArguments.SelectMany(Parts))
            : parts;
    }

    private static IEnumerable<TypeReference> Constraints(IGenericParameterProvider owner) =>
        owner.GenericParameters.SelectMany(g => g.Constraints).SelectMany(c => Parts(c.ConstraintType));

    private static IEnumerable<TypeReference> Attributes(ICustomAttributeProvider owner) =>
        owner.CustomAttributes.SelectMany(a =>
            Parts(a.AttributeType)
                .Concat(a.ConstructorArguments.Select(argument => argument.Value).OfType<TypeReference>())
        );

    // A constructed type uses its element type and its type arguments (List<EditRequest> uses EditRequest).
    private static IEnumerable<TypeReference> Parts(TypeReference? type) =>
        type switch
        {
            null or GenericParameter => [],
            GenericInstanceType generic => Parts(generic.ElementType)
                .Concat(generic.GenericArguments.SelectMany(Parts)),
            TypeSpecification specification => Parts(specification.ElementType),
            _ => [type],
        };
}
