using System.Text;
using System.Text.Json;

namespace Pix2PixZero.Infra.Tests;

/// <summary>One linter or compiler diagnostic.</summary>
public sealed record LintFinding(string File, int Line, string Level, string Rule, string Message)
{
    public override string ToString() => $"{File}({Line}): {Level} {Rule}: {Message}";
}

/// <summary>
/// `bicep lint --pattern … --diagnostics-format sarif` output: one SARIF document per linted file, written one after
/// another, so the number of documents is the number of files the linter saw.
/// </summary>
public sealed record LintReport(int FilesLinted, IReadOnlyList<LintFinding> Findings)
{
    public static LintReport Parse(string sarifStream)
    {
        var reader = new Utf8JsonReader(
            Encoding.UTF8.GetBytes(sarifStream),
            new JsonReaderOptions { AllowMultipleValues = true }
        );
        var files = 0;
        var findings = new List<LintFinding>();
        while (reader.Read())
        {
            using var document = JsonDocument.ParseValue(ref reader);
            files++;
            foreach (var run in document.RootElement.GetProperty("runs").EnumerateArray())
            foreach (var result in run.GetProperty("results").EnumerateArray())
            {
                var location = result.GetProperty("locations")[0].GetProperty("physicalLocation");
                findings.Add(
                    new LintFinding(
                        new Uri(location.GetProperty("artifactLocation").GetProperty("uri").GetString()!).LocalPath,
                        location.GetProperty("region").GetProperty("startLine").GetInt32(),
                        result.GetProperty("level").GetString()!,
                        result.GetProperty("ruleId").GetString()!,
                        result.GetProperty("message").GetProperty("text").GetString()!
                    )
                );
            }
        }
        return new LintReport(files, findings);
    }
}
