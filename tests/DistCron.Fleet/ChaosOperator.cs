namespace DistCron.Fleet;

/// <summary>
/// The chaos run's operator: at random it pauses a job, resumes it a few seconds later, and triggers jobs (paused or
/// not), through <see cref="IDistCronClient"/> like the CLI, while runs are in flight on the fleet. A resume is often
/// preceded by a trigger of the paused job 100-250 ms earlier, so that it lands while that manual run is in flight.
/// Every action is recorded (<see cref="FleetEvents.Operated"/>) bracketed by database time, read just before and
/// just after the call, so the audit knows in which interval it took effect. No action is attempted while the chaos
/// run holds the database down; one that fails anyway is recorded as unacknowledged (it may or may not have applied).
/// </summary>
public sealed class ChaosOperator(
    IDistCronClient client,
    IReadOnlyList<string> jobs,
    FleetEvents events,
    Random random,
    (double Min, double Max) everySeconds,
    Action<string> log)
{
    private const int MaxPaused = 2;

    // A second trigger before the first one's run would coalesce with it (one run), which the audit allows but cannot
    // then tell from a lost trigger; spacing them keeps every trigger its own run.
    private static readonly TimeSpan TriggerSpacing = TimeSpan.FromSeconds(5);

    private readonly Dictionary<string, DateTimeOffset> _paused = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _triggered = new(StringComparer.Ordinal);

    /// <summary>Acts until <paramref name="stopping"/> is cancelled, then resumes every job it left paused.</summary>
    /// <param name="databaseUp">False while the chaos run holds the database down.</param>
    public async Task RunAsync(Func<bool> databaseUp, CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(everySeconds.Min + random.NextDouble() * (everySeconds.Max - everySeconds.Min)), stopping);
                if (databaseUp()) await ActOnceAsync();
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // The window is over.
        }

        foreach (var job in _paused.Keys.ToArray()) await ActAsync(job, OperatorActionKind.Resume);
    }

    private async Task ActOnceAsync()
    {
        var now = DateTimeOffset.UtcNow;
        var due = _paused.Where(p => p.Value <= now).Select(p => p.Key).FirstOrDefault();
        if (due is not null)
        {
            if (random.Next(2) == 0 && Triggerable(due, now))
            {
                await ActAsync(due, OperatorActionKind.Trigger);
                await Task.Delay(TimeSpan.FromMilliseconds(100 + random.Next(150)));
            }

            await ActAsync(due, OperatorActionKind.Resume);
            return;
        }

        var job = jobs[random.Next(jobs.Count)];
        if (random.NextDouble() < 0.4 && _paused.Count < MaxPaused && !_paused.ContainsKey(job))
        {
            await ActAsync(job, OperatorActionKind.Pause);
        }
        else if (Triggerable(job, now))
        {
            await ActAsync(job, OperatorActionKind.Trigger);
        }
    }

    private bool Triggerable(string job, DateTimeOffset now) =>
        !_triggered.TryGetValue(job, out var last) || now - last >= TriggerSpacing;

    private async Task ActAsync(string job, OperatorActionKind kind)
    {
        var from = await DatabaseTimeAsync() ?? DateTimeOffset.UtcNow;
        var acknowledged = true;
        try
        {
            switch (kind)
            {
                case OperatorActionKind.Pause:
                    await client.PauseAsync(job);
                    break;
                case OperatorActionKind.Resume:
                    await client.ResumeAsync(job);
                    break;
                default:
                    await client.TriggerAsync(job);
                    break;
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            acknowledged = false;
            log($"operator: {kind} {job} failed ({ex.GetType().Name}); recorded as unacknowledged");
        }

        // Just after the call returned; the machine clock (the database's own, one host) if the database is gone.
        var to = await DatabaseTimeAsync() ?? DateTimeOffset.UtcNow.AddSeconds(1);
        events.Operated(new OperatorAction(job, kind, from, to, acknowledged));
        switch (kind)
        {
            case OperatorActionKind.Pause:
                _paused[job] = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(2 + random.NextDouble() * 4);
                break;
            case OperatorActionKind.Resume:
                _paused.Remove(job);
                break;
            default:
                _triggered[job] = DateTimeOffset.UtcNow;
                break;
        }

        log($"operator: {kind.ToString().ToLowerInvariant()} {job}{(_paused.ContainsKey(job) && kind == OperatorActionKind.Trigger ? " (paused)" : string.Empty)}");
    }

    private async Task<DateTimeOffset?> DatabaseTimeAsync()
    {
        try
        {
            return await client.GetDatabaseTimeAsync();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null;
        }
    }
}
