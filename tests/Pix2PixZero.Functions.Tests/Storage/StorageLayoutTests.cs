using Pix2PixZero.Core.Directions;
using Pix2PixZero.Functions.Storage;

namespace Pix2PixZero.Functions.Tests.Storage;

/// <summary>Blob names that stored data is found by: the literals are the names deployed apps have written.</summary>
public class StorageLayoutTests
{
    [Theory]
    [InlineData(
        "CompVis/stable-diffusion-v1-4",
        "cat",
        "9c1e5d0f2b7a4e61",
        "directions/CompVis_stable-diffusion-v1-4-551fc4c1ce8f/cat-9c1e5d0f2b7a4e61.p2pzmean"
    )]
    [InlineData(
        "../../etc/passwd",
        "jack-o'-lantern",
        "h1",
        "directions/.._.._etc_passwd-3754d6cb3a38/jack-o_-lantern-h1.p2pzmean"
    )]
    public void A_word_mean_keeps_the_blob_name_it_was_stored_under(
        string modelId,
        string word,
        string sentenceSetHash,
        string expected
    )
    {
        Assert.Equal(expected, StorageLayout.WordMean(modelId, EditWord.Parse(word), sentenceSetHash).ToString());
    }

    [Fact]
    public void A_word_means_lock_is_its_name_under_locks()
    {
        var mean = StorageLayout.WordMean("CompVis/stable-diffusion-v1-4", EditWord.Parse("cat"), "9c1e5d0f2b7a4e61");

        Assert.Equal(
            "directions/locks/CompVis_stable-diffusion-v1-4-551fc4c1ce8f/cat-9c1e5d0f2b7a4e61.p2pzmean.lock",
            StorageLayout.WordMeanLock(mean).ToString()
        );
    }
}
