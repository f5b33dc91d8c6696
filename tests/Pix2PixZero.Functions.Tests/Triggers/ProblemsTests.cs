using Pix2PixZero.Core;
using Pix2PixZero.Functions.Tests.Support;
using Pix2PixZero.Functions.Triggers;

namespace Pix2PixZero.Functions.Tests.Triggers;

/// <summary>
/// A failure is answered with the HTTP status of its kind, as problem details that carry its message.
/// </summary>
public sealed class ProblemsTests
{
    [Theory]
    [InlineData(FailureKind.InvalidInput, 400)]
    [InlineData(FailureKind.Transient, 503)]
    [InlineData(FailureKind.Permanent, 500)]
    public void A_failure_is_answered_with_the_status_of_its_kind(FailureKind kind, int status)
    {
        var (answered, body) = HttpRequests.Read(
            Problems.Of(new Pix2PixZeroException(kind, "the thing failed; do this"))
        );

        Assert.Equal((status, status), (answered, body.GetProperty("status").GetInt32()));
        Assert.Equal("the thing failed; do this", body.GetProperty("detail").GetString());
    }

    [Fact]
    public void An_option_out_of_range_is_a_400_that_names_the_option()
    {
        var (status, body) = HttpRequests.Read(Problems.Of(new InvalidOptionException("steps", 1, "use 2..999")));

        Assert.Equal(400, status);
        Assert.Equal("steps", body.GetProperty("option").GetString());
    }
}
