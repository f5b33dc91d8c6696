using System.Security.Cryptography;
using System.Text;

namespace Pix2PixZero.Core.Directions;

/// <summary>
/// The sentences a word's mean embedding is averaged over, with <see cref="Hash"/> = lower-case hex SHA-256 of the
/// sentences joined by '\n' (UTF-8): the cache key that tells one sentence set from another.
/// </summary>
public sealed class SentenceSet
{
    public SentenceSet(IEnumerable<string> sentences)
    {
        Sentences = sentences.ToArray();
        if (Sentences.Count == 0)
            throw new ArgumentException("A sentence set needs at least one sentence.", nameof(sentences));
        Hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', Sentences))));
    }

    public IReadOnlyList<string> Sentences { get; }

    public string Hash { get; }
}
