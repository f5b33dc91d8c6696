using Pix2PixZero.Core.Captioning;

namespace Pix2PixZero.Tests.Captioning;

/// <summary>The search logic alone, driven by scripted logits (vocabulary of 8, EOS = 7, prompt [0]).</summary>
public sealed class BeamSearchTests
{
    private const int Vocab = 8;
    private const long Eos = 7;

    private static Func<IReadOnlyList<long[]>, IReadOnlyList<float[]>> Scripted(Func<long[], float[]> perBeam) =>
        beams => beams.Select(perBeam).ToArray();

    private static float[] Favour(params (long Token, float Logit)[] logits)
    {
        var row = new float[Vocab];
        foreach (var (token, logit) in logits)
            row[token] = logit;
        return row;
    }

    [Fact]
    public void Eos_is_blocked_until_min_length_then_ends_the_caption()
    {
        var search = new BeamSearch(numBeams: 3, minLength: 5, maxLength: 12, Eos);
        var result = search.Search([0], Scripted(_ => Favour((Eos, 10f), (3, 1f))));
        Assert.True(result.EndedWithEos);
        Assert.Equal([0L, 3, 3, 3, 3, Eos], result.Sequence);
    }

    [Fact]
    public void Without_min_length_a_dominant_eos_ends_at_once()
    {
        var search = new BeamSearch(numBeams: 3, minLength: 0, maxLength: 12, Eos);
        var result = search.Search([0], Scripted(_ => Favour((Eos, 10f), (3, 1f))));
        Assert.Equal([0L, Eos], result.Sequence);
    }

    [Fact]
    public void Eos_ranked_below_the_beam_count_never_finishes_a_hypothesis()
    {
        // EOS is the 5th best token of every beam: inside the 2·beams candidates but below rank 3, so it is skipped.
        var search = new BeamSearch(numBeams: 3, minLength: 0, maxLength: 6, Eos);
        var result = search.Search([0], Scripted(_ => Favour((1, 4f), (2, 3f), (3, 2f), (4, 1f), (Eos, 0.5f))));
        Assert.False(result.EndedWithEos);
        Assert.Equal(6, result.Sequence.Count);
        Assert.DoesNotContain(Eos, result.Sequence);
        Assert.Equal([0L, 1, 1, 1, 1, 1], result.Sequence);
    }

    [Fact]
    public void Equal_scores_keep_the_lower_token_and_the_latest_hypothesis_wins_a_tie()
    {
        // Uniform logits: candidates tie, the lower flat index (beam·V + token) ranks first, so the beams are
        // [0,0…0,0], [0,0…0,1], [0,0…0,2]; all three end with equal scores and, as in transformers (stable sort,
        // pop the last), the last one added wins.
        var search = new BeamSearch(numBeams: 3, minLength: 0, maxLength: 4, eosTokenId: 7);
        var result = search.Search([0], Scripted(_ => new float[Vocab]));
        Assert.Equal([0L, 0, 0, 2], result.Sequence);
        Assert.Equal(3 * -Math.Log(Vocab) / 4, result.Score, 9);
    }

    [Fact]
    public void A_finished_hypothesis_is_scored_by_its_length_including_the_prompt()
    {
        // Step 1 gives EOS probability ~1: the hypothesis [0, 9, 9] (prompt of 3, EOS excluded) scores log p / 3.
        var search = new BeamSearch(numBeams: 2, minLength: 0, maxLength: 10, Eos);
        var result = search.Search([0, 5, 5], Scripted(_ => Favour((Eos, 30f))));
        Assert.Equal([0L, 5, 5, Eos], result.Sequence);
        var logP = 30 - Math.Log(Math.Exp(30) + Vocab - 1);
        Assert.Equal(logP / 3, result.Score, 9);
    }

    [Fact]
    public void Cancellation_stops_the_search()
    {
        using var cancel = new CancellationTokenSource();
        var steps = 0;
        var search = new BeamSearch(numBeams: 2, minLength: 0, maxLength: 50, Eos);
        Assert.Throws<OperationCanceledException>(() =>
            search.Search(
                [0],
                Scripted(_ =>
                {
                    if (++steps == 4)
                        cancel.Cancel();
                    return Favour((1, 1f));
                }),
                cancel.Token
            )
        );
        Assert.InRange(steps, 4, 5);
    }

    [Fact]
    public void A_prompt_as_long_as_max_length_is_rejected()
    {
        var search = new BeamSearch(numBeams: 2, minLength: 0, maxLength: 3, Eos);
        Assert.Throws<ArgumentException>(() => search.Search([0, 1, 2], Scripted(_ => new float[Vocab])));
    }
}
