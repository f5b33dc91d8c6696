namespace Pix2PixZero.Functions.Storage;

/// <summary>A blob by container and name: what activities pass each other instead of bytes.</summary>
public sealed record BlobRef(string Container, string Name)
{
    public override string ToString() => $"{Container}/{Name}";

    /// <summary>Reads "container/name/with/slashes" (the form the HTTP API accepts).</summary>
    public static BlobRef Parse(string? path, string label)
    {
        var text = (path ?? "").Trim().TrimStart('/');
        var slash = text.IndexOf('/');
        if (slash <= 0 || slash == text.Length - 1)
            throw new Core.InvalidInputException($"{label} \"{path}\" does not name a blob; write it as container/name (e.g. edit-requests/cat2dog/photo.png)");
        return new BlobRef(text[..slash], text[(slash + 1)..]);
    }
}
