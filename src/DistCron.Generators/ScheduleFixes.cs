using System;
using System.Collections.Generic;
using DistCron.Internal;

namespace DistCron.Generators
{
    /// <summary>A schedule (or other literal) to write instead, and what writing it does.</summary>
    internal readonly struct TextFix
    {
        public TextFix(string title, string replacement)
        {
            Title = title;
            Replacement = replacement;
        }

        public string Title { get; }

        public string Replacement { get; }
    }

    /// <summary>
    /// The rewrites of a schedule that code fixes offer. Each candidate is checked with the shared parser before it
    /// is offered: a fix never writes a schedule the build or the runtime would refuse.
    /// </summary>
    internal static class ScheduleFixes
    {
        /// <summary>Rewrites for an invalid schedule (DCRON0001): a year field, or a seconds field in the wrong place.</summary>
        public static List<TextFix> ForInvalid(string? schedule, string jobName)
        {
            var fixes = new List<TextFix>();
            var fields = ScheduleText.Fields(schedule);
            if (fields.Length == 7)
            {
                AddIfValid(fixes, jobName, $"Drop the year field '{fields[6]}'", Join(fields, 0, 6));
            }
            else if (fields.Length == 6)
            {
                var last = fields[5];
                var five = Join(fields, 0, 5);
                if (LooksLikeYear(last))
                {
                    // Seconds minute hour day month, then a year where day-of-week belongs (Quartz without '?').
                    AddIfValid(fixes, jobName, $"Replace the year field '{last}' with '*' (every day of week)", five + " *");
                }

                AddIfValid(fixes, jobName, $"Drop the 6th field '{last}' (read the rest minute-first)", five);
                AddIfValid(fixes, jobName, $"Move the 6th field '{last}' to the front as seconds", last + " " + five);
            }

            return fixes;
        }

        /// <summary>
        /// Rewrites for Quartz day-of-week numbers (DCRON0015): day names in either numbering, so the reader sees which
        /// days run, and '*' for Quartz's '?' (Cronos reads both alike), so the schedule reads as plain cron.
        /// </summary>
        public static List<TextFix> ForQuartzDayOfWeek(string schedule, string jobName)
        {
            var fixes = new List<TextFix>();
            var fields = ScheduleText.Fields(schedule);
            var last = fields.Length - 1;
            var dayOfWeek = fields[last];
            if (dayOfWeek.IndexOf('H') >= 0 || dayOfWeek.IndexOf('h') >= 0) return fixes;
            foreach (var quartz in new[] { true, false })
            {
                var names = ScheduleText.DayOfWeekAsNames(dayOfWeek, quartz);
                if (names == null) continue;
                var copy = (string[])fields.Clone();
                copy[last] = names;
                for (var i = 0; i < last; i++)
                {
                    if (copy[i] == "?") copy[i] = "*";
                }

                var title = quartz
                    ? $"Use day names and '*' for '?', reading {dayOfWeek} as Quartz does (1 = Sunday): {names}"
                    : $"Use day names and '*' for '?', reading {dayOfWeek} as DistCron does (1 = Monday): {names}";
                AddIfValid(fixes, jobName, title, string.Join(" ", copy));
            }

            return fixes;
        }

        private static void AddIfValid(List<TextFix> fixes, string jobName, string title, string candidate)
        {
            if (!ScheduleText.Parse(candidate, jobName).Success) return;
            foreach (var fix in fixes)
            {
                if (fix.Replacement == candidate) return;
            }

            fixes.Add(new TextFix(title, candidate));
        }

        private static string Join(string[] fields, int start, int count) => string.Join(" ", fields, start, count);

        private static bool LooksLikeYear(string field) =>
            field.Length == 4 && int.TryParse(field, out var year) && year >= 1970;
    }
}
