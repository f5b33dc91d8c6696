using Pix2PixZero.Core.Runtime;

namespace Pix2PixZero.Tests.Runtime;

/// <summary>
/// The per-shape session cache: made once per shape, the most recently used kept up to the bound, and a shape in use
/// freed only after its last user is done.
/// </summary>
public class SessionsByShapeTests
{
    private sealed class Sessions(string shape) : IDisposable
    {
        public string Shape { get; } = shape;
        public int Disposals { get; private set; }

        public void Dispose() => Disposals++;
    }

    private readonly List<Sessions> _made = [];

    private SessionsByShape<string, Sessions> Cache(int capacity) => new(capacity, shape =>
        {
            var sessions = new Sessions(shape);
            _made.Add(sessions);
            return sessions;
        });

    [Fact]
    public void A_shape_is_made_once_and_reused_while_it_is_kept()
    {
        using var cache = Cache(2);
        using (var first = cache.Acquire("8x8"))
        using (var again = cache.Acquire("8x8"))
            Assert.Same(first.Sessions, again.Sessions);
        using (cache.Acquire("8x16")) { }
        using (var third = cache.Acquire("8x8"))
            Assert.Same(_made[0], third.Sessions);
        Assert.Equal(["8x8", "8x16"], _made.Select(m => m.Shape));
    }

    [Fact]
    public void Beyond_the_bound_the_least_recently_used_shape_is_freed()
    {
        using var cache = Cache(2);
        foreach (var shape in new[] { "a", "b", "a", "c" })
            cache.Acquire(shape).Dispose();
        Assert.Equal(["c", "a"], cache.Shapes);
        Assert.Equal([0, 1, 0], _made.Select(m => m.Disposals));
    }

    [Fact]
    public void A_shape_in_use_is_freed_only_when_its_last_lease_ends()
    {
        using var cache = Cache(1);
        var a = cache.Acquire("a");
        var aAgain = cache.Acquire("a");
        var b = cache.Acquire("b");
        Assert.Equal(["b", "a"], cache.Shapes);
        a.Dispose();
        a.Dispose();
        Assert.Equal(0, _made[0].Disposals);
        aAgain.Dispose();
        Assert.Equal(1, _made[0].Disposals);
        Assert.Equal(["b"], cache.Shapes);
        b.Dispose();
        Assert.Equal(0, _made[1].Disposals);
        cache.Dispose();
        Assert.Equal(1, _made[1].Disposals);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(SessionsByShape<string, IDisposable>.MaxCapacity + 1)]
    public void The_bound_is_checked(int capacity) => Assert.Throws<ArgumentOutOfRangeException>(() => Cache(capacity));
}
