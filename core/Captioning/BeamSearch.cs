namespace Pix2PixZero.Core.Captioning;

/// <summary>The best hypothesis: prompt + generated tokens, followed by EOS when it ended with EOS.</summary>
public sealed record BeamSearchResult(IReadOnlyList<long> Sequence, double Score, bool EndedWithEos);

/// <summary>
/// Beam search with the semantics of transformers 4.26 (GenerationMixin.beam_search + BeamSearchScorer +
/// BeamHypotheses, batch 1, early_stopping False), the release pix2pix-zero captioned with. Per step, with cur_len
/// the sequence length (prompt included): log_softmax of the last position's logits; if cur_len &lt; min_length the
/// EOS score is set to −∞ (after log_softmax, as MinLengthLogitsProcessor does); add each beam's running score
/// (beams 2… start at −1e9 so the first step expands beam 0 only); take the best 2·beams candidates over
/// beams × vocab (ties: lower beam·V + token first). Walking them best first: an EOS candidate ranked below the
/// beam count is skipped, a higher one closes its beam as a finished hypothesis (tokens without the EOS, scored
/// sum_logprobs / len^length_penalty, the length counting the prompt); the others become the next beams. Done when
/// <c>beams</c> hypotheses exist and the worst of them ≥ best candidate / cur_len^length_penalty, or at max_length;
/// then unfinished beams are added with their running scores and the best hypothesis wins (ties: the latest added).
/// Arithmetic is in double; the reference runs float32, which only matters on near-ties.
/// </summary>
public sealed class BeamSearch
{
    private const double UnusedBeamScore = -1e9;

    public BeamSearch(int numBeams, int minLength, int maxLength, long eosTokenId, double lengthPenalty = 1.0)
    {
        if (numBeams < 2)
            throw new ArgumentOutOfRangeException(nameof(numBeams), numBeams, "beam search needs at least 2 beams");
        if (maxLength < 1 || minLength < 0)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "lengths must be positive");
        NumBeams = numBeams;
        MinLength = minLength;
        MaxLength = maxLength;
        EosTokenId = eosTokenId;
        LengthPenalty = lengthPenalty;
    }

    public int NumBeams { get; }

    public int MinLength { get; }

    public int MaxLength { get; }

    public long EosTokenId { get; }

    public double LengthPenalty { get; }

    /// <summary>
    /// Runs the search from <paramref name="prompt"/>. <paramref name="nextLogits"/> receives the live sequences
    /// (all of the current length) and returns, per sequence, the logits of its last position (vocabulary size V).
    /// </summary>
    public BeamSearchResult Search(
        IReadOnlyList<long> prompt,
        Func<IReadOnlyList<long[]>, IReadOnlyList<float[]>> nextLogits,
        CancellationToken cancellationToken = default
    )
    {
        if (prompt.Count == 0)
            throw new ArgumentException("the prompt needs at least the start token", nameof(prompt));
        if (prompt.Count >= MaxLength)
            throw new ArgumentException(
                $"the prompt has {prompt.Count} tokens; max length {MaxLength} leaves no room to generate",
                nameof(prompt)
            );

        var beams = Enumerable.Range(0, NumBeams).Select(_ => prompt.ToArray()).ToList();
        var beamScores = new double[NumBeams];
        Array.Fill(beamScores, UnusedBeamScore);
        beamScores[0] = 0;
        var hypotheses = new Hypotheses(NumBeams, LengthPenalty);
        var done = false;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var curLength = beams[0].Length;
            var logits = nextLogits(beams);
            if (logits.Count != NumBeams)
                throw new InvalidOperationException(
                    $"the logits function returned {logits.Count} rows for {NumBeams} beams"
                );
            var candidates = TopCandidates(logits, beamScores, curLength < MinLength);

            var nextBeams = new List<long[]>(NumBeams);
            var nextScores = new List<double>(NumBeams);
            for (var rank = 0; rank < candidates.Count && nextBeams.Count < NumBeams; rank++)
            {
                var (beam, token, score) = candidates[rank];
                if (token == EosTokenId)
                {
                    if (rank < NumBeams)
                        hypotheses.Add(beams[beam], score);
                    continue;
                }
                nextBeams.Add([.. beams[beam], token]);
                nextScores.Add(score);
            }
            if (nextBeams.Count < NumBeams)
                throw new InvalidOperationException(
                    $"only {nextBeams.Count} non-EOS candidates for {NumBeams} "
                        + "beams; is the vocabulary smaller than 2·beams?"
                );
            done = hypotheses.IsDone(candidates[0].Score, curLength);
            beams = nextBeams;
            beamScores = [.. nextScores];
            if (done || beams[0].Length >= MaxLength)
                break;
        }

        if (!done)
            for (var b = 0; b < NumBeams; b++)
                hypotheses.Add(beams[b], beamScores[b]);
        var (bestScore, tokens) = hypotheses.Best();
        var endedWithEos = tokens.Length < MaxLength;
        IReadOnlyList<long> sequence = endedWithEos ? [.. tokens, EosTokenId] : tokens;
        return new BeamSearchResult(sequence, bestScore, endedWithEos);
    }

    /// <summary>
    /// The best 2·beams (beam, token, running score) candidates, best first, ties by lower flat index.
    /// </summary>
    private List<(int Beam, long Token, double Score)> TopCandidates(
        IReadOnlyList<float[]> logits,
        double[] beamScores,
        bool blockEos
    )
    {
        var keep = 2 * NumBeams;
        var top = new List<(int Beam, long Token, double Score)>(keep + 1);
        for (var b = 0; b < logits.Count; b++)
        {
            var row = logits[b];
            var max = double.NegativeInfinity;
            foreach (var v in row)
                max = Math.Max(max, v);
            var sum = 0.0;
            foreach (var v in row)
                sum += Math.Exp(v - max);
            var logNormalizer = max + Math.Log(sum);
            for (var t = 0; t < row.Length; t++)
            {
                var score =
                    blockEos && t == EosTokenId ? double.NegativeInfinity : row[t] - logNormalizer + beamScores[b];
                // Strictly better than the last kept: scanning in flat-index order keeps the earlier of equal scores.
                if (top.Count == keep && !(score > top[^1].Score))
                    continue;
                var at = top.Count;
                while (at > 0 && score > top[at - 1].Score)
                    at--;
                top.Insert(at, (b, t, score));
                if (top.Count > keep)
                    top.RemoveAt(keep);
            }
        }
        return top;
    }

    /// <summary>transformers' BeamHypotheses: the best <c>capacity</c> finished sequences.</summary>
    private sealed class Hypotheses(int capacity, double lengthPenalty)
    {
        private readonly List<(double Score, long[] Tokens)> _items = [];
        private double _worst = 1e9;

        public void Add(long[] tokens, double sumLogProbs)
        {
            var score = sumLogProbs / Math.Pow(tokens.Length, lengthPenalty);
            if (_items.Count >= capacity && !(score > _worst))
                return;
            _items.Add((score, tokens));
            if (_items.Count > capacity)
            {
                var ranked = _items
                    .Select((h, i) => (h.Score, Index: i))
                    .OrderBy(h => h.Score)
                    .ThenBy(h => h.Index)
                    .ToList();
                _items.RemoveAt(ranked[0].Index);
                _worst = ranked[1].Score;
            }
            else
            {
                _worst = Math.Min(score, _worst);
            }
        }

        public bool IsDone(double bestSumLogProbs, int curLength) =>
            _items.Count >= capacity && _worst >= bestSumLogProbs / Math.Pow(curLength, lengthPenalty);

        public (double Score, long[] Tokens) Best()
        {
            var best = 0;
            for (var i = 1; i < _items.Count; i++)
                if (_items[i].Score >= _items[best].Score)
                    best = i;
            return _items[best];
        }
    }
}
