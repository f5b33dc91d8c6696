namespace Pix2PixZero.Core.Runtime;

/// <summary>
/// Sessions made for one input shape each, kept for reuse up to a bound: ONNX Runtime plans a session fastest with
/// its sizes fixed, but each kept shape holds its own plan and buffers, so a service that meets many photo shapes
/// keeps only the most recently used <see cref="Capacity"/>. A shape in use is never freed under its user: it is
/// leased, and a leased shape beyond the bound is freed when its last lease ends.
/// </summary>
public sealed class SessionsByShape<TShape, TSessions>(int capacity, Func<TShape, TSessions> create) : IDisposable
    where TShape : notnull
    where TSessions : IDisposable
{
    public const int MaxCapacity = 64;

    private readonly object _gate = new();
    private readonly LinkedList<Entry> _byUse = new();
    private bool _disposed;

    public int Capacity { get; } =
        capacity is >= 1 and <= MaxCapacity
            ? capacity
            : throw new ArgumentOutOfRangeException(nameof(capacity), capacity, $"use 1..{MaxCapacity}");

    /// <summary>The shapes held now, most recently used first.</summary>
    public IReadOnlyList<TShape> Shapes
    {
        get
        {
            lock (_gate)
                return _byUse.Select(e => e.Shape).ToList();
        }
    }

    /// <summary>The sessions of <paramref name="shape"/>, made on first use; dispose the lease when done.</summary>
    public Lease Acquire(TShape shape)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var entry = _byUse.FirstOrDefault(e => EqualityComparer<TShape>.Default.Equals(e.Shape, shape));
            if (entry is null)
                entry = new Entry(shape, create(shape));
            else
                _byUse.Remove(entry);
            _byUse.AddFirst(entry);
            entry.Leases++;
            Trim();
            return new Lease(this, entry);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            foreach (var entry in _byUse)
                entry.Sessions.Dispose();
            _byUse.Clear();
        }
    }

    private void Release(Entry entry)
    {
        lock (_gate)
        {
            entry.Leases--;
            if (!_disposed)
                Trim();
        }
    }

    // Drops the least recently used shapes beyond the bound; one still leased stays in use until released.
    private void Trim()
    {
        var node = _byUse.Last;
        while (_byUse.Count > Capacity && node is not null)
        {
            var previous = node.Previous;
            if (node.Value.Leases == 0)
            {
                _byUse.Remove(node);
                node.Value.Sessions.Dispose();
            }
            node = previous;
        }
    }

    internal sealed class Entry(TShape shape, TSessions sessions)
    {
        public TShape Shape { get; } = shape;
        public TSessions Sessions { get; } = sessions;
        public int Leases { get; set; }
    }

    /// <summary>One user's hold on a shape's sessions.</summary>
    public sealed class Lease : IDisposable
    {
        private readonly SessionsByShape<TShape, TSessions> _owner;
        private readonly Entry _entry;
        private int _released;

        internal Lease(SessionsByShape<TShape, TSessions> owner, Entry entry)
        {
            _owner = owner;
            _entry = entry;
        }

        public TShape Shape => _entry.Shape;

        public TSessions Sessions => _entry.Sessions;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
                _owner.Release(_entry);
        }
    }
}
