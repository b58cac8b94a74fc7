// One node of the SQLite multi-process test. Usage: <db path> <app> <node id> <comma-separated job names> <last occurrence unix ms>
// Prints "READY", waits for a line on stdin (so every process starts claiming at once), then claims and completes
// until no job of its list is scheduled any more, printing "RUN <job> <occurrence ms> <fence>" per claim and
// "LOST <job> <occurrence ms>" if a completion was fenced out. Exit code 0 = finished, 2 = gave up after 2 minutes.
using DistCron;
using DistCron.Storage;
using DistCron.Storage.Sqlite;

var (path, app, node, names, lastOccurrence) = (args[0], args[1], args[2], args[3].Split(','), long.Parse(args[4]));
await using var store = new SqliteJobStore(path);
await store.MigrateAsync(CancellationToken.None);
Console.WriteLine("READY");
Console.ReadLine();

// Claims as a node does: every job of the app except those it has no code for (the test seeds before the probes start).
var excluded = (await store.ListJobsAsync(app, CancellationToken.None)).Select(j => j.Name).Except(names).ToArray();
var deadline = DateTime.UtcNow.AddMinutes(2);
while (DateTime.UtcNow < deadline)
{
    var batch = await store.ClaimDueAsync(new ClaimRequest(app, node, 2, TimeSpan.FromMinutes(1)) { ExcludedNames = excluded }, CancellationToken.None);
    if (batch.Claimed.Count == 0)
    {
        if (batch.EarliestDueAt is null) return 0; // every occurrence of every job is done
        await Task.Delay(5);
        continue;
    }

    foreach (var claim in batch.Claimed)
    {
        var occurrence = claim.OccurrenceAt.ToUnixTimeMilliseconds();
        Console.WriteLine($"RUN {claim.Token.JobName} {occurrence} {claim.Token.Fence}");
        await Task.Delay(10); // the job's "work"
        DateTimeOffset? next = occurrence < lastOccurrence ? claim.OccurrenceAt.AddSeconds(1) : null;
        var done = await store.CompleteAsync(new Completion(claim.Token, RunStatus.Succeeded, claim.OccurrenceAt, claim.Attempt,
            claim.DueAt, TimeSpan.FromMilliseconds(10), null, null, next, next, 1), CancellationToken.None);
        if (!done) Console.WriteLine($"LOST {claim.Token.JobName} {occurrence}");
    }
}

return 2;
