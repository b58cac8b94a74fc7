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
        /// <summary>True for an id written exactly as tzdata or Windows spell it (see <see cref="Normalize"/> for how a written id is read).</summary>
        public static bool IsKnown(string id) => Index.Known.Contains(id);

        /// <summary>The correctly spelled id when <paramref name="id"/> differs only in case or in ' ' versus '_', else null.</summary>
        public static string? SuggestionFor(string id)
        {
            return Index.ByUpperCase.TryGetValue(CaseKey(id), out var spelled) ? spelled : null;
        }

        /// <summary>
        /// The one reading of a time zone id, for the analyzer and the runtime alike: white space around it is
        /// ignored, "UTC" is matched in any case (DistCron's own name for UTC, resolved without tzdata), and an id that
        /// differs from a known one only in case is read as that id. The runtime then finds the zone by its exact
        /// spelling on every host; before, Linux found "europe/paris" only through ICU's id conversion, so the same
        /// id started on one server and was refused on another (invariant globalization, no ICU).
        /// </summary>
        public static string Normalize(string id)
        {
            var trimmed = id.Trim();
            if (string.Equals(trimmed, Utc, StringComparison.OrdinalIgnoreCase)) return Utc;
            return Index.Known.Contains(trimmed) ? trimmed
                : Index.ByIgnoringCase.TryGetValue(trimmed, out var spelled) && spelled != null ? spelled
                : trimmed;
        }

        /// <summary>True for an id that is empty or only white space: refused at build time and at start-up.</summary>
        public static bool IsBlank(string? id) => id != null && id.Trim().Length == 0;

        /// <summary>
        /// Why no host can accept <paramref name="id"/> (empty, or a control or invisible character inside it), or
        /// null. Such an id is refused at build time and at start-up: Linux would otherwise open "Europe/Paris\0" as
        /// Europe/Paris, and PostgreSQL cannot store the NUL.
        /// </summary>
        public static string? MalformedReason(string? id)
        {
            if (id == null) return null;
            if (IsBlank(id)) return "is empty";
            var trimmed = id.Trim();
            foreach (var c in trimmed)
            {
                if (!PrintableText.IsShownAsIs(c) && !char.IsSurrogate(c))
                {
                    return "contains the control or invisible character " + PrintableText.Printable(c.ToString());
                }
            }

            return null;
        }

        /// <summary>DistCron's name for UTC, in any case.</summary>
        public const string Utc = "UTC";

        // A nested class: the order of static initializers across the two partial files is unspecified, so the
        // lookups are built on first use, after the generated arrays exist.
        private static class Index
        {
            public static readonly HashSet<string> Known = Build(StringComparer.Ordinal);
            public static readonly Dictionary<string, string> ByUpperCase = BuildCaseMap();
            public static readonly Dictionary<string, string?> ByIgnoringCase = BuildIgnoringCaseMap();
        }

        // Null for a spelling two known ids share ignoring case: then neither is chosen.
        private static Dictionary<string, string?> BuildIgnoringCaseMap()
        {
            var map = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
            foreach (var id in Index.Known)
            {
                map[id] = map.TryGetValue(id, out var other) && other != id ? null : id;
            }

            return map;
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
            foreach (var id in IanaIds) map[CaseKey(id)] = id;
            foreach (var id in WindowsIds) map[CaseKey(id)] = id;
            return map;
        }

        private static string CaseKey(string id) => id.Trim().Replace(' ', '_').ToUpperInvariant();
    }
}
