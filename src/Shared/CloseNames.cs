// Shared by the runtime (start-up errors) and the analyzer (appsettings diagnostics): one rule for "did you mean".
using System;
using System.Collections.Generic;
using System.Linq;

namespace DistCron.Configuration
{
    /// <summary>The names a mistyped one was probably meant to be: for "did you mean" in start-up errors.</summary>
    internal static class CloseNames
    {
        /// <summary>
        /// The candidates within a small edit distance of <paramref name="name"/> (a third of its length, at least 2), or
        /// equal to it but for case, closest first; at most three.
        /// </summary>
        public static IReadOnlyList<string> Find(string name, IEnumerable<string> candidates, bool ignoreCase)
        {
            var limit = Math.Max(2, name.Length / 3);
            return candidates
                .Select(c => (Name: c, Distance: Distance(
                    ignoreCase ? name.ToUpperInvariant() : name, ignoreCase ? c.ToUpperInvariant() : c, limit)))
                .Where(c => c.Distance <= limit || string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase))
                .OrderBy(c => c.Distance).ThenBy(c => c.Name, StringComparer.Ordinal)
                .Take(3)
                .Select(c => c.Name)
                .ToArray();
        }

        // Levenshtein distance, stopping early once every path is past the limit (names can be 200 characters long).
        internal static int Distance(string a, string b, int limit)
        {
            if (Math.Abs(a.Length - b.Length) > limit) return limit + 1;
            var previous = new int[b.Length + 1];
            var current = new int[b.Length + 1];
            for (var j = 0; j <= b.Length; j++) previous[j] = j;
            for (var i = 1; i <= a.Length; i++)
            {
                current[0] = i;
                var best = current[0];
                for (var j = 1; j <= b.Length; j++)
                {
                    var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                    current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
                    best = Math.Min(best, current[j]);
                }

                if (best > limit) return limit + 1;
                (previous, current) = (current, previous);
            }

            return previous[b.Length];
        }
    }
}
