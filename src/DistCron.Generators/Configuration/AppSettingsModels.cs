using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace DistCron.Generators.Configuration
{
    // Pipeline models of the appsettings check: plain data (no SourceText, no Location), so an unchanged file compares
    // equal across runs and its cached result is reused.

    /// <summary>Where something is written in a file: offsets and the 0-based line/column of both ends.</summary>
    internal readonly record struct TextPlace(int Start, int Length, int StartLine, int StartColumn, int EndLine, int EndColumn)
    {
        public static TextPlace Of(SourceText text, int start, int end)
        {
            var lines = text.Lines.GetLinePositionSpan(TextSpan.FromBounds(start, end));
            return new TextPlace(start, end - start, lines.Start.Line, lines.Start.Character, lines.End.Line, lines.End.Character);
        }

        public Location ToLocation(string path) => Location.Create(path, new TextSpan(Start, Length),
            new LinePositionSpan(new LinePosition(StartLine, StartColumn), new LinePosition(EndLine, EndColumn)));
    }

    /// <summary>A problem with one value of <c>DistCron:Jobs</c>, found without knowing which jobs exist.</summary>
    /// <param name="Id">The diagnostic ID (one of <see cref="DiagnosticDescriptors.Configuration"/>).</param>
    /// <param name="Key">The configuration key, as the runtime names it (<c>DistCron:Jobs:x:Schedule</c>).</param>
    /// <param name="Problem">What is wrong, in the runtime's words.</param>
    /// <param name="Place">The value (or the key, for an unknown key) in the file.</param>
    internal sealed record ConfigProblem(string Id, string Key, string Problem, TextPlace Place);

    /// <summary>A job named under <c>DistCron:Jobs</c>: checked against the jobs the code declares.</summary>
    internal sealed record ConfigJobReference(string Name, string Key, TextPlace Place);

    /// <summary>What one appsettings file says about DistCron's jobs.</summary>
    internal sealed record AppSettingsFile(string Path, EquatableArray<ConfigProblem> Problems, EquatableArray<ConfigJobReference> Jobs);

    /// <summary>
    /// The job names the code declares, for the unknown-name check. Not <see cref="Complete"/> when some job's name
    /// cannot be known at build time (a name computed at start, a referenced library's jobs): then no name is reported
    /// as unknown, since a false build error is worse than the start-up error the runtime gives anyway.
    /// </summary>
    internal sealed record DeclaredJobNames(EquatableArray<string> Names, bool Complete);
}
