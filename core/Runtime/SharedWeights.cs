using System.IO.MemoryMappedFiles;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Graph.Onnx;
using DataLocation = Pix2PixZero.Core.Graph.Onnx.TensorProto.Types.DataLocation;

namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// One copy of the external weights that several graphs read: each weights file is mapped into memory once, and
/// every external initializer becomes one <see cref="OrtValue"/> over its bytes in the map, handed to each session
/// with <see cref="SessionOptions.AddInitializer"/>. The attention probe and the guidance graph of a UNet read the
/// same <c>weights.pb</c>, so an edit holds the UNet's weights once instead of once per session, and the pages are
/// the file's own (the kernel can drop them under pressure and read them again) rather than private copies.
/// <para>
/// Sessions given these values must not rewrite weights: <see cref="OnnxSessionFactory"/> turns off pre-packing
/// and the layout optimizations that would make per-session copies of them. The map is copy-on-write, so nothing
/// can write to the file. Keep this object alive until every session that uses it is disposed.
/// </para>
/// </summary>
public sealed class SharedWeights : IDisposable
{
    private readonly Dictionary<
        string,
        (MemoryMappedFile File, MemoryMappedViewAccessor View, long Length, IntPtr Base)
    > _files = [];
    private readonly Dictionary<
        (string File, long Offset, long Length, TensorElementType Type, string Shape),
        OrtValue
    > _values = [];
    private readonly object _gate = new();
    private bool _disposed;

    /// <summary>
    /// Adds every external initializer of <paramref name="model"/>, whose locations are relative to
    /// <paramref name="folder"/>, to <paramref name="options"/>, mapping its weights file on first use; returns how
    /// many were added. Initializers whose bytes cannot be used in place (misaligned, or of a type ONNX Runtime cannot
    /// wrap) are left to the session to load.
    /// </summary>
    public int AddTo(SessionOptions options, ModelProto model, string folder)
    {
        var added = 0;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            foreach (var tensor in model.Graph.Initializer)
            {
                if (tensor.DataLocation != DataLocation.External || ValueFor(tensor, folder) is not { } value)
                    continue;
                options.AddInitializer(tensor.Name, value);
                added++;
            }
        }
        return added;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            foreach (var value in _values.Values)
                value.Dispose();
            foreach (var (file, view, _, _) in _files.Values)
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
                view.Dispose();
                file.Dispose();
            }
        }
    }

    private OrtValue? ValueFor(TensorProto tensor, string directory)
    {
        var entries = tensor.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location))
            return null;
        var type = (TensorElementType)tensor.DataType;
        var elementSize = ElementSize(type);
        if (elementSize == 0)
            return null;
        var count = tensor.Dims.Aggregate(1L, (a, d) => a * d);
        var offset = entries.TryGetValue("offset", out var o) ? long.Parse(o) : 0;
        var length = entries.TryGetValue("length", out var l) ? long.Parse(l) : count * elementSize;
        if (length != count * elementSize || offset % elementSize != 0)
            return null;

        var path = Path.GetFullPath(Path.Combine(directory, location));
        var file = Map(path);
        if (offset + length > file.Length)
            throw new ModelBundleException(
                path,
                $"the initializer {tensor.Name} reads "
                    + $"bytes {offset:N0}–{offset + length:N0} but the file has {file.Length:N0}"
            );
        var key = (path, offset, length, type, string.Join(",", tensor.Dims));
        if (!_values.TryGetValue(key, out var value))
        {
            value = OrtValue.CreateTensorValueWithData(
                OrtMemoryInfo.DefaultInstance,
                type,
                tensor.Dims.ToArray(),
                file.Base + (nint)offset,
                length
            );
            _values[key] = value;
        }
        return value;
    }

    private (MemoryMappedFile File, MemoryMappedViewAccessor View, long Length, IntPtr Base) Map(string path)
    {
        if (_files.TryGetValue(path, out var mapped))
            return mapped;
        var length = new FileInfo(path) is { Exists: true } info
            ? (info.ResolveLinkTarget(returnFinalTarget: true) as FileInfo ?? info).Length
            : throw new ModelBundleException(path, "the external weights file does not exist");
        // Opened for reading only: a copy-on-write map needs no more, and the model folder may be read-only.
        var file = MemoryMappedFile.CreateFromFile(
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read),
            null,
            0,
            MemoryMappedFileAccess.CopyOnWrite,
            HandleInheritability.None,
            leaveOpen: false
        );
        var view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.CopyOnWrite);
        IntPtr start;
        unsafe
        {
            byte* pointer = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
            start = (IntPtr)(pointer + view.PointerOffset);
        }
        mapped = (file, view, length, start);
        _files[path] = mapped;
        return mapped;
    }

    private static int ElementSize(TensorElementType type) =>
        type switch
        {
            TensorElementType.Float or TensorElementType.Int32 or TensorElementType.UInt32 => 4,
            TensorElementType.Float16
            or TensorElementType.BFloat16
            or TensorElementType.Int16
            or TensorElementType.UInt16 => 2,
            TensorElementType.Int64 or TensorElementType.UInt64 or TensorElementType.Double => 8,
            TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.Bool => 1,
            _ => 0,
        };
}
