namespace DistCron.Configuration;

/// <summary>
/// Jobs whose definition in the database is not this node's although the two were written by the same deployment
/// version: nodes of one release that differ by configuration (an override set on some pods only). The seed never
/// overwrites such a row (which would flip it at every restart), so the difference must be reported instead.
/// </summary>
internal static class DefinitionConflicts
{
    /// <summary>One job whose stored definition differs from this node's at the same deployment version.</summary>
    internal sealed record Conflict(string JobName, string StoredSchedule, string StoredTimeZone, bool StoredDisabled, JobDefinition Mine)
    {
        public string Describe() =>
            $"job '{JobName}': this node's definition (schedule \"{Mine.Schedule}\" in {Mine.TimeZone}{(Mine.Disabled ? ", disabled" : string.Empty)}"
            + $"{Overrides(Mine)}) differs from the one another node of the same DeploymentVersion wrote (schedule \"{StoredSchedule}\" in {StoredTimeZone}"
            + $"{(StoredDisabled ? ", disabled" : string.Empty)}); the database keeps that one. Give every node of a release the same DistCron:Jobs configuration, or deploy the change with a higher DeploymentVersion";

        private static string Overrides(JobDefinition definition) =>
            definition.OverriddenBy.Count == 0 ? ", no configuration override" : $", overridden by {string.Join(", ", definition.OverriddenBy)}";
    }

    /// <summary>
    /// The conflicts between this node's definitions and the stored rows. Only versioned rows written by this very
    /// version from the same code count: without a DeploymentVersion a different definition is an ordinary redeploy, a
    /// row of another version is a rolling deploy in progress (the newer one wins by rule), and other code under the
    /// same version is a rebuild (the hash rule).
    /// </summary>
    public static IReadOnlyList<Conflict> Find(IReadOnlyDictionary<string, JobDefinition> mine, IEnumerable<JobRow> rows, long? deploymentVersion)
    {
        if (deploymentVersion is not { } version) return [];
        var conflicts = new List<Conflict>();
        foreach (var row in rows)
        {
            if (row.DefinitionVersion != version || row.Orphaned || row.Error is not null) continue;
            if (!mine.TryGetValue(row.Name, out var definition)) continue;
            // Another build under the same version number (its code differs): the hash rule, no conflict.
            if (!string.Equals(row.CodeHash, definition.DeclaredHash, StringComparison.Ordinal)) continue;
            if (string.Equals(row.DefinitionHash, definition.DefinitionHash, StringComparison.Ordinal)) continue;
            conflicts.Add(new Conflict(row.Name, row.Schedule, row.TimeZone, row.Disabled, definition));
        }

        return conflicts;
    }
}
