// Shared by the runtime and the analyzer. The table itself (TimeZoneIds.g.cs) is generated; see the tool named there.
using System;
using System.Collections.Generic;

namespace DistCron.Internal
{
    /// <summary>
    /// The time zone ids DistCron knows on every OS: IANA names (with their legacy links) and Windows ids. .NET
    /// converts between the two at run time, so either kind works on Linux and on Windows.
    /// </summary>
    internal static partial class TimeZoneIds
    {
        /// <summary>True for an id written exactly as tzdata or Windows spell it (ids are case-sensitive on Linux).</summary>
        public static bool IsKnown(string id) => Index.Known.Contains(id);

        /// <summary>The correctly spelled id when <paramref name="id"/> differs only in case or in ' ' versus '_', else null.</summary>
        public static string? SuggestionFor(string id)
        {
            return Index.ByUpperCase.TryGetValue(Normalize(id), out var spelled) ? spelled : null;
        }

        // A nested class: the order of static initializers across the two partial files is unspecified, so the
        // lookups are built on first use, after the generated arrays exist.
        private static class Index
        {
            public static readonly HashSet<string> Known = Build(StringComparer.Ordinal);
            public static readonly Dictionary<string, string> ByUpperCase = BuildCaseMap();
        }

        private static HashSet<string> Build(StringComparer comparer)
        {
            var set = new HashSet<string>(comparer);
            foreach (var id in IanaIds) set.Add(id);
            foreach (var id in WindowsIds) set.Add(id);
            return set;
        }

        private static Dictionary<string, string> BuildCaseMap()
        {
            var map = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var id in IanaIds) map[Normalize(id)] = id;
            foreach (var id in WindowsIds) map[Normalize(id)] = id;
            return map;
        }

        private static string Normalize(string id) => id.Trim().Replace(' ', '_').ToUpperInvariant();
    }
}
