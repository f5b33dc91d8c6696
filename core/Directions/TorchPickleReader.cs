using System.Buffers.Binary;
using System.Text;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// Just enough of the pickle virtual machine to read the <c>data.pkl</c> that <c>torch.save(tensor)</c> writes
/// (protocol 2): <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, OrderedDict())</c>
/// where <c>storage</c> comes from a persistent id <c>('storage', torch.XStorage, key, location, numel)</c>.
/// It never imports or calls anything: the only globals it accepts are those two callables, the storage classes and
/// <c>collections.OrderedDict</c> (for the empty backward-hooks argument). Anything else is refused by name.
/// </summary>
internal static class TorchPickleReader
{
    /// <summary>The tensor a pickle describes; its bytes live in the archive entry <c>data/{StorageKey}</c>.</summary>
    internal sealed record TensorReference(
        string StorageType,
        string StorageKey,
        long StorageElements,
        long Offset,
        int[] Shape,
        long[] Strides
    );

    private sealed record Global(string Module, string Name)
    {
        public override string ToString() => $"{Module}.{Name}";
    }

    private sealed record StorageReference(string StorageType, string Key, long Elements);

    private sealed record EmptyOrderedDict;

    private sealed class Mark;

    private static readonly HashSet<string> AllowedGlobals =
    [
        "torch._utils._rebuild_tensor_v2",
        "collections.OrderedDict",
        "torch.FloatStorage",
        "torch.HalfStorage",
        "torch.DoubleStorage",
    ];

    public static TensorReference ReadTensor(ReadOnlySpan<byte> pickle, string source)
    {
        var stack = new List<object?>();
        var memo = new Dictionary<long, object?>();
        var mark = new Mark();
        int pos = 0;

        while (true)
        {
            if (pos >= pickle.Length)
                throw Invalid(source, pos, "the pickle ends without a STOP opcode");
            int at = pos;
            byte op = pickle[pos++];
            switch (op)
            {
                case 0x80:
                    pos++;
                    break; // PROTO n
                case (byte)'c': // GLOBAL module\nname\n
                {
                    string module = ReadLine(pickle, ref pos, source);
                    string name = ReadLine(pickle, ref pos, source);
                    var global = new Global(module, name);
                    if (!AllowedGlobals.Contains(global.ToString()))
                        throw Invalid(
                            source,
                            at,
                            $"it refers to {global}, which a single saved tensor (float32/float16/float64) never needs"
                        );
                    stack.Add(global);
                    break;
                }
                case (byte)'q':
                    memo[pickle[pos++]] = Top(stack, source, at);
                    break; // BINPUT
                case (byte)'r':
                    memo[BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref pos, 4, source))] = Top(
                        stack,
                        source,
                        at
                    );
                    break;
                case 0x94:
                    memo[memo.Count] = Top(stack, source, at);
                    break; // MEMOIZE
                case (byte)'h':
                    stack.Add(Recall(memo, pickle[pos++], source, at));
                    break; // BINGET
                case (byte)'j':
                    stack.Add(
                        Recall(
                            memo,
                            BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref pos, 4, source)),
                            source,
                            at
                        )
                    );
                    break;
                case (byte)'(':
                    stack.Add(mark);
                    break;
                case (byte)'X': // BINUNICODE
                {
                    int length = checked(
                        (int)BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, ref pos, 4, source))
                    );
                    stack.Add(Encoding.UTF8.GetString(Take(pickle, ref pos, length, source)));
                    break;
                }
                case 0x8c: // SHORT_BINUNICODE
                {
                    int length = pickle[pos++];
                    stack.Add(Encoding.UTF8.GetString(Take(pickle, ref pos, length, source)));
                    break;
                }
                case (byte)'K':
                    stack.Add((long)pickle[pos++]);
                    break; // BININT1
                case (byte)'M':
                    stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(Take(pickle, ref pos, 2, source)));
                    break;
                case (byte)'J':
                    stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(Take(pickle, ref pos, 4, source)));
                    break;
                case 0x8a: // LONG1
                {
                    int length = pickle[pos++];
                    if (length > 8)
                        throw Invalid(source, at, $"an integer of {length} bytes is too large for a tensor size");
                    var bytes = Take(pickle, ref pos, length, source);
                    long value = 0;
                    for (int i = length - 1; i >= 0; i--)
                        value = (value << 8) | bytes[i];
                    if (length is > 0 and < 8 && (bytes[length - 1] & 0x80) != 0)
                        value -= 1L << (8 * length);
                    stack.Add(value);
                    break;
                }
                case (byte)')':
                    stack.Add(Array.Empty<object?>());
                    break; // EMPTY_TUPLE
                case 0x85:
                    stack.Add(PopTuple(stack, 1, source, at));
                    break; // TUPLE1
                case 0x86:
                    stack.Add(PopTuple(stack, 2, source, at));
                    break;
                case 0x87:
                    stack.Add(PopTuple(stack, 3, source, at));
                    break;
                case (byte)'t': // TUPLE
                {
                    int markIndex = stack.LastIndexOf(mark);
                    if (markIndex < 0)
                        throw Invalid(source, at, "TUPLE without a MARK");
                    var items = stack.GetRange(markIndex + 1, stack.Count - markIndex - 1).ToArray();
                    stack.RemoveRange(markIndex, stack.Count - markIndex);
                    stack.Add(items);
                    break;
                }
                case 0x88:
                    stack.Add(true);
                    break; // NEWTRUE
                case 0x89:
                    stack.Add(false);
                    break; // NEWFALSE
                case (byte)'N':
                    stack.Add(null);
                    break;
                case (byte)'}':
                    stack.Add(new EmptyOrderedDict());
                    break; // EMPTY_DICT (hooks saved as a plain dict)
                case (byte)'Q':
                    stack.Add(ToStorage(Pop(stack, source, at), source, at));
                    break; // BINPERSID
                case (byte)'R': // REDUCE
                {
                    var args =
                        Pop(stack, source, at) as object?[]
                        ?? throw Invalid(source, at, "REDUCE arguments are not a tuple");
                    var callable =
                        Pop(stack, source, at) as Global
                        ?? throw Invalid(source, at, "REDUCE of something that is not a global");
                    stack.Add(Reduce(callable, args, source, at));
                    break;
                }
                case (byte)'.': // STOP
                    return Pop(stack, source, at) as TensorReference
                        ?? throw new InvalidInputException(
                            $"{source}: the file holds something other than a single tensor (e.g. a dict "
                                + "or a model); save the mean embedding itself with torch.save(tensor, path)."
                        );
                default:
                    throw Invalid(source, at, $"opcode 0x{op:x2} is not used by torch.save for a single tensor");
            }
        }
    }

    private static object Reduce(Global callable, object?[] args, string source, int at)
    {
        switch (callable.ToString())
        {
            case "collections.OrderedDict" when args.Length == 0:
                return new EmptyOrderedDict();
            case "torch._utils._rebuild_tensor_v2"
                when args.Length is 6 or 7
                    && args[0] is StorageReference storage
                    && args[1] is long offset
                    && args[2] is object?[] size
                    && args[3] is object?[] stride
                    && size.Length == stride.Length:
                if (args[5] is not EmptyOrderedDict)
                    throw Invalid(source, at, "the tensor carries backward hooks");
                return new TensorReference(
                    storage.StorageType,
                    storage.Key,
                    storage.Elements,
                    offset,
                    size.Select(s => checked((int)AsLong(s, source, at))).ToArray(),
                    stride.Select(s => AsLong(s, source, at)).ToArray()
                );
            default:
                throw Invalid(source, at, $"a call to {callable} with {args.Length} arguments is not a saved tensor");
        }
    }

    private static StorageReference ToStorage(object? persistentId, string source, int at)
    {
        if (
            persistentId is object?[] { Length: 5 } id
            && id[0] is "storage"
            && id[1] is Global type
            && id[2] is string key
            && id[4] is long elements
            && type.Module == "torch"
            && type.Name.EndsWith("Storage", StringComparison.Ordinal)
        )
            return new StorageReference(type.Name, key, elements);
        throw Invalid(source, at, "a persistent id that is not a ('storage', type, key, location, numel) tuple");
    }

    private static long AsLong(object? value, string source, int at) =>
        value as long? ?? throw Invalid(source, at, "a tensor size or stride that is not an integer");

    private static object?[] PopTuple(List<object?> stack, int count, string source, int at)
    {
        if (stack.Count < count)
            throw Invalid(source, at, "a tuple opcode with too few items on the stack");
        var items = stack.GetRange(stack.Count - count, count).ToArray();
        stack.RemoveRange(stack.Count - count, count);
        return items;
    }

    private static object? Pop(List<object?> stack, string source, int at)
    {
        var value = Top(stack, source, at);
        stack.RemoveAt(stack.Count - 1);
        return value;
    }

    private static object? Top(List<object?> stack, string source, int at) =>
        stack.Count > 0 && stack[^1] is not Mark
            ? stack[^1]
            : throw Invalid(source, at, "the stack is empty where a value is needed");

    private static object? Recall(Dictionary<long, object?> memo, long key, string source, int at) =>
        memo.TryGetValue(key, out var value) ? value : throw Invalid(source, at, $"memo entry {key} was never stored");

    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> pickle, ref int pos, int count, string source)
    {
        if (count < 0 || pos + count > pickle.Length)
            throw Invalid(source, pos, "the pickle is truncated");
        var slice = pickle.Slice(pos, count);
        pos += count;
        return slice;
    }

    private static string ReadLine(ReadOnlySpan<byte> pickle, ref int pos, string source)
    {
        int end = pickle[pos..].IndexOf((byte)'\n');
        if (end < 0)
            throw Invalid(source, pos, "the pickle is truncated inside a GLOBAL");
        string line = Encoding.ASCII.GetString(pickle.Slice(pos, end));
        pos += end + 1;
        return line;
    }

    private static InvalidInputException Invalid(string source, int offset, string why) =>
        new($"{source}: not a tensor saved by torch.save ({why}, pickle offset {offset}).");
}
