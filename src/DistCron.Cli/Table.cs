namespace DistCron.Cli;

/// <summary>Writes left-aligned text columns separated by two spaces.</summary>
internal static class Table
{
    public static void Write(TextWriter output, string[] headers, IEnumerable<string[]> rows)
    {
        var all = rows.Select(r => r.Select(Clean).ToArray()).ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        WriteRow(output, headers, widths);
        foreach (var row in all) WriteRow(output, row, widths);
    }

    private static void WriteRow(TextWriter output, string[] cells, int[] widths) =>
        output.WriteLine(string.Join("  ", cells.Select((c, i) => i == cells.Length - 1 ? c : c.PadRight(widths[i]))).TrimEnd());

    // Values come from a database anyone may have written to: no control characters reach the terminal.
    private static string Clean(string value) => string.Concat(value.Select(c => char.IsControl(c) ? '?' : c));
}
