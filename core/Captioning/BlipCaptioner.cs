using Microsoft.ML.OnnxRuntime.Tensors;
using Pix2PixZero.Core.Runtime;
using Pix2PixZero.Core.Serialization;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Pix2PixZero.Core.Captioning;

/// <summary>A generated caption: the text (prompt removed), the winning token sequence and its beam score.</summary>
public sealed record BlipCaption(string Text, IReadOnlyList<long> TokenIds, double Score);

/// <summary>
/// BLIP captioner (DESIGN.md §1.2 step 2) over a bundle's <c>captioner/</c> folder, reproducing transformers'
/// BlipForConditionalGeneration.generate with a prompt: the decoder starts from [DEC] + the prompt's WordPiece
/// tokens (the processor's trailing [SEP] dropped), beam search stops on [SEP], and the decoded text (special
/// tokens skipped) loses the prompt text at its start.
/// </summary>
public sealed class BlipCaptioner : IDisposable
{
    public const string VisionEncoderFile = "vision_encoder.onnx";
    public const string TextDecoderFile = "text_decoder.onnx";
    public const string VocabFile = "vocab.txt";
    public const string ConfigFile = "config.json";

    /// <summary>What tools/export-captioner writes and a bundle's <c>captioner/</c> folder must hold.</summary>
    public static IReadOnlyList<string> RequiredFiles { get; } =
    [VisionEncoderFile, TextDecoderFile, VocabFile, ConfigFile];

    private readonly string _promptText;

    private BlipCaptioner(
        BlipConfig config,
        BertWordPieceTokenizer tokenizer,
        BlipVisionEncoder vision,
        BlipTextDecoder decoder,
        BlipCaptionerOptions options,
        IReadOnlyList<long> promptIds
    )
    {
        Config = config;
        Tokenizer = tokenizer;
        VisionEncoder = vision;
        TextDecoder = decoder;
        Options = options;
        PromptIds = promptIds;
        _promptText = tokenizer.Decode(promptIds);
    }

    public BlipConfig Config { get; }

    public BlipCaptionerOptions Options { get; }

    /// <summary>[DEC] followed by the prompt's tokens: where every caption starts.</summary>
    public IReadOnlyList<long> PromptIds { get; }

    internal BertWordPieceTokenizer Tokenizer { get; }

    internal BlipVisionEncoder VisionEncoder { get; }

    internal BlipTextDecoder TextDecoder { get; }

    /// <summary>
    /// The folder contract without creating sessions: the four files, non-empty, a config.json with the model facts,
    /// and a vocabulary of config.json's vocab_size. Every problem is returned, each naming its file.
    /// </summary>
    public static IReadOnlyList<ModelBundleException> CheckFolder(string folder)
    {
        if (!Directory.Exists(folder))
            return
            [
                new ModelBundleException(
                    folder,
                    "the captioner folder does not exist; it must hold " + string.Join(", ", RequiredFiles)
                ),
            ];
        var problems = new List<ModelBundleException>();
        foreach (var file in RequiredFiles)
        {
            var path = Path.Combine(folder, file);
            if (FileTarget.Resolve(path) is not { } target)
                problems.Add(
                    new ModelBundleException(
                        path,
                        FileTarget.DanglingLink(path)
                            ?? "is missing; a BLIP captioner folder holds "
                                + $"{string.Join(", ", RequiredFiles)} (tools/export-captioner writes them)"
                    )
                );
            else if (target.Length == 0)
                problems.Add(
                    new ModelBundleException(path, "is empty; export the captioner again with tools/export-captioner")
                );
        }
        if (problems.Count > 0)
            return problems;
        try
        {
            ReadContract(folder);
        }
        catch (ModelBundleException e)
        {
            problems.Add(e);
        }
        return problems;
    }

    /// <summary>
    /// Opens and checks a captioner folder: the folder contract (<see cref="CheckFolder"/>) and the graph signatures.
    /// </summary>
    public static BlipCaptioner Load(string folder, OnnxSessionFactory sessions, BlipCaptionerOptions? options = null)
    {
        options = (options ?? BlipCaptionerOptions.Default).Validate();
        if (CheckFolder(folder) is [var first, ..])
            throw first;
        var (config, tokenizer) = ReadContract(folder);

        BlipVisionEncoder? vision = null;
        BlipTextDecoder? decoder = null;
        try
        {
            var visionPath = Path.Combine(folder, VisionEncoderFile);
            vision = new BlipVisionEncoder(Open(sessions, visionPath), visionPath);
            if (vision.ImageSize is { } size && size != config.ImageSize)
                throw new ModelBundleException(
                    visionPath,
                    $"takes {size}×{size} images but config.json says image_size {config.ImageSize}"
                );
            var decoderPath = Path.Combine(folder, TextDecoderFile);
            decoder = new BlipTextDecoder(Open(sessions, decoderPath), decoderPath);
            if (decoder.VocabSize is { } vocab && vocab != config.VocabSize)
                throw new ModelBundleException(
                    decoderPath,
                    $"has {vocab} logits per token but config.json says vocab_size {config.VocabSize}"
                );
            if (decoder.EncoderHiddenSize is { } wanted && vision.HiddenSize is { } given && wanted != given)
                throw new ModelBundleException(
                    decoderPath,
                    $"cross-attends to {wanted}-wide image embeddings but the vision encoder makes {given}-wide ones"
                );

            IReadOnlyList<long> promptIds = [config.BosTokenId, .. tokenizer.Encode(options.Prompt)];
            if (promptIds.Count >= options.MaxLength)
                throw new ArgumentOutOfRangeException(
                    nameof(options),
                    options.MaxLength,
                    $"{nameof(BlipCaptionerOptions.MaxLength)} {options.MaxLength}"
                        + $" leaves no room after the prompt's {promptIds.Count} tokens "
                        + "([DEC] included); raise it or shorten the prompt."
                );
            return new BlipCaptioner(config, tokenizer, vision, decoder, options, promptIds);
        }
        catch
        {
            vision?.Dispose();
            decoder?.Dispose();
            throw;
        }
    }

    private static (BlipConfig Config, BertWordPieceTokenizer Tokenizer) ReadContract(string folder)
    {
        var config = BlipConfig.Load(Path.Combine(folder, ConfigFile));
        var vocabPath = Path.Combine(folder, VocabFile);
        var tokenizer = BertWordPieceTokenizer.Load(vocabPath);
        if (tokenizer.VocabularySize != config.VocabSize)
            throw new ModelBundleException(
                vocabPath,
                $"has {tokenizer.VocabularySize} tokens but config.json says vocab_size {config.VocabSize} "
                    + "(BLIP: 30,524 = BERT's 30,522 + [DEC] + [ENC], one per line)"
            );
        return (config, tokenizer);
    }

    public string Caption(Image<Rgb24> image, CancellationToken cancellationToken = default) =>
        Generate(image, cancellationToken).Text;

    public BlipCaption Generate(Image<Rgb24> image, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var pixels = BlipImageProcessor.Preprocess(image, Config.ImageSize, Config.ImageMean, Config.ImageStd);
        var embeds = VisionEncoder.Encode(pixels);
        var beams = Options.NumBeams;
        var perBeam = Repeat(embeds, beams);
        var search = new BeamSearch(
            beams,
            Options.MinLength,
            Options.MaxLength,
            Config.EosTokenId,
            Options.LengthPenalty
        );
        var result = search.Search(PromptIds, sequences => LastLogits(sequences, perBeam), cancellationToken);
        var text = Tokenizer.Decode(result.Sequence);
        if (_promptText.Length > 0 && text.StartsWith(_promptText, StringComparison.Ordinal))
            text = text[_promptText.Length..];
        return new BlipCaption(text.Trim(), result.Sequence, result.Score);
    }

    public void Dispose()
    {
        VisionEncoder.Dispose();
        TextDecoder.Dispose();
    }

    private float[][] LastLogits(IReadOnlyList<long[]> sequences, DenseTensor<float> imageEmbeds)
    {
        var length = sequences[0].Length;
        var ids = new long[sequences.Count * length];
        for (var r = 0; r < sequences.Count; r++)
            sequences[r].CopyTo(ids, r * length);
        var logits = TextDecoder.Logits(ids, sequences.Count, imageEmbeds);
        var vocab = logits.Dimensions[2];
        var all = logits.Buffer.Span;
        var rows = new float[sequences.Count][];
        for (var r = 0; r < rows.Length; r++)
            rows[r] = all.Slice((r * length + length - 1) * vocab, vocab).ToArray();
        return rows;
    }

    private static DenseTensor<float> Repeat(DenseTensor<float> single, int copies)
    {
        var dims = single.Dimensions.ToArray();
        dims[0] = copies;
        var repeated = new DenseTensor<float>(dims);
        var source = single.Buffer.Span;
        for (var c = 0; c < copies; c++)
            source.CopyTo(repeated.Buffer.Span.Slice(c * source.Length));
        return repeated;
    }

    private static Microsoft.ML.OnnxRuntime.InferenceSession Open(OnnxSessionFactory sessions, string path)
    {
        try
        {
            return sessions.Create(path);
        }
        // A failure before any provider was settled (CUDA asked for, not there) is the machine's, not the graph's.
        catch (Pix2PixZeroException e) when (e is not ModelBundleException && sessions.ActiveProvider is not null)
        {
            throw new ModelBundleException(
                path,
                $"is not a loadable ONNX graph: {e.InnerException?.Message ?? e.Message}",
                e
            );
        }
    }
}
