using DistCron.Diagnostics;
using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// One node's scheduling loop: start up (migrate, seed, register), then claim due jobs into free slots, and sleep until
/// the earliest due time, a store signal, a freed slot or the poll interval — whichever comes first. Store outages are
/// retried with capped backoff; they never end the loop. When to claim, from where, and how long to sleep is
/// <see cref="ClaimPacer"/>'s to decide; what happens to each claim is <see cref="JobRunner"/>'s; this class does the
/// loop's I/O.
/// </summary>
internal sealed partial class NodeLoop
{
    private readonly EngineContext _context;
    private readonly IReadOnlyDictionary<string, JobDefinition> _definitions;
    private readonly JobRunner _runner;
    private readonly RunSlots _slots;
    private readonly HistoryPruner _pruner;
    private readonly PauseExpiry _pauses;
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ClaimPacer _pacer;
    private readonly NodeRegistration _registration;
    private int _deadlinePassed; // 1 once the shutdown deadline (DistCron's or the host's) was passed

    public NodeLoop(EngineContext context, IReadOnlyList<JobDefinition> definitions)
    {
        _context = context;
        _definitions = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        _pacer = new ClaimPacer(context.MaxConcurrentJobs, context.PollInterval, context.SaturatedClaimWait, context.ClaimAhead, context.Time.TimestampFrequency);
        _slots = new RunSlots(context.MaxConcurrentJobs, _pacer, _wake);
        _runner = new JobRunner(context, _definitions, _slots);
        _pruner = new HistoryPruner(context, context.Retention);
        _pauses = new PauseExpiry(context);
        _registration = new NodeRegistration(context, _definitions.Keys);
    }

    /// <summary>Jobs claimed by this node whose handling has not finished.</summary>
    public int ActiveCount => _slots.Held;

    /// <summary>Runs until <paramref name="stopping"/> is cancelled, then drains: see <see cref="DrainAsync"/>.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        if (_definitions.Count == 0)
        {
            _context.Health.NoJobs();
            return;
        }

        if (!await StartAsync(stopping).ConfigureAwait(false)) return;
        _context.Health.StartedUp();
        Log.NodeStarted(_context.Logger, _context.NodeId, _context.App, _definitions.Count, _context.Store.Kind);
        await ReportConfigurationAsync(stopping).ConfigureAwait(false);
        using var stopSignals = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var signals = StoreSignalPump.RunAsync(_context, _wake, stopSignals.Token);
        try
        {
            await (_context.RunsJobs ? LoopAsync(stopping, _hardStop.Token) : KeepRegisteredAsync(stopping)).ConfigureAwait(false);
        }
        finally
        {
            await stopSignals.CancelAsync().ConfigureAwait(false);
            await signals.ConfigureAwait(false); // never faults
            await DrainAsync().ConfigureAwait(false);
            await _runner.DisposeAsync().ConfigureAwait(false); // every run has ended: write the completions still queued
            await _pruner.Running.ConfigureAwait(false); // cancelled by stopping; never faults
            await _pauses.Running.ConfigureAwait(false); // likewise
            await _registration.UnregisterAsync().ConfigureAwait(false);
            Log.NodeStopped(_context.Logger, _context.NodeId);
        }
    }

    // Migrate, read the database clock, seed every job in one batch (the store computes new due times under its row
    // locks), register. All idempotent, so
    // the whole sequence is simply retried while the store is unreachable. False: stopped before it succeeded.
    private async Task<bool> StartAsync(CancellationToken stopping)
    {
        var backoff = Backoff.ForStore();
        var schemaWait = Backoff.ForStore();
        string? schemaReported = null;
        while (true)
        {
            var wake = _wake.WaitTask;
            try
            {
                if (_context.AutoMigrate) await _context.Store.MigrateAsync(stopping).ConfigureAwait(false);
                else await _context.Store.CheckSchemaAsync(stopping).ConfigureAwait(false);
                var sentAt = _context.Clock.RoundTripStarts();
                var now = await _context.Store.GetDatabaseTimeAsync(stopping).ConfigureAwait(false);
                _context.Clock.Observe(now, sentAt);
                await _context.Store.SeedAsync(_context.App, BuildSeed(now), stopping).ConfigureAwait(false);
                await _registration.RegisterAsync(stopping).ConfigureAwait(false);
                _context.Health.StoreSucceeded();
                if (backoff.Reset()) Log.StoreRecovered(_context.Logger, _context.Store.Kind);
                return true;
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                return false;
            }
            catch (SchemaNotReadyException ex)
            {
                // Not an outage: said once (again only when what the database holds changes), then retried quietly
                // until someone applies the schema; readiness carries the message meanwhile.
                if (ex.Message != schemaReported) Log.SchemaNotReady(_context.Logger, _context.NodeId, ex.Message);
                schemaReported = ex.Message;
                _context.Health.StoreFailed(ex.Message);
                await SleepAsync(schemaWait.NextDelay(), wake, stopping).ConfigureAwait(false);
                if (stopping.IsCancellationRequested) return false;
            }
            catch (Exception ex)
            {
                _context.Health.StoreFailed(ex.GetType().Name + ": " + EngineContext.Describe(ex));
                if (!await BackOffAsync(backoff, "startup", ex, wake, stopping).ConfigureAwait(false)) return false;
            }
        }
    }

    // What the deployment's configuration changed, once per start: overridden and disabled jobs, and the definitions
    // another node of this same version wrote differently (the seed leaves those alone; see DefinitionConflicts).
    private async Task ReportConfigurationAsync(CancellationToken stopping)
    {
        foreach (var definition in _definitions.Values.Where(d => d.OverriddenBy.Count > 0).OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            var keys = string.Join(", ", definition.OverriddenBy);
            if (definition.Disabled) Log.JobDisabled(_context.Logger, definition.Name, keys);
            else Log.JobOverridden(_context.Logger, definition.Name, definition.Schedule, definition.TimeZone, keys);
        }

        if (_context.DeploymentVersion is null) return;
        try
        {
            var rows = await _context.Store.ListJobsAsync(_context.App, stopping).ConfigureAwait(false);
            foreach (var conflict in Configuration.DefinitionConflicts.Find(_definitions, rows, _context.DeploymentVersion))
            {
                Log.DefinitionConflict(_context.Logger, conflict.Describe());
            }
        }
        catch (Exception) when (!stopping.IsCancellationRequested)
        {
            // Only a report: the jobs health check (AddDistCronJobs) keeps reporting conflicts once the store answers.
        }
    }

    // The seed is the generated table itself (DistCronJobs_*.Definitions, or the list given to AddJobs): each row's
    // name, schedule, zone and build-time definition hash go to the store as they are, nothing is recomputed here.
    private List<SeedJob> BuildSeed(DateTimeOffset databaseNow)
    {
        var seed = new List<SeedJob>(_definitions.Count);
        foreach (var definition in _definitions.Values.OrderBy(d => d.Name, StringComparer.Ordinal))
        {
            // Definitions were validated at startup, so the schedule resolves.
            var schedule = ScheduleResolver.Resolve(definition.Schedule, definition.TimeZone, definition.Name).Schedule!;
            // The store computes the due time under its row locks (FirstDueAfter): databaseNow is already stale when
            // the write lands, and the old release may have run that occurrence meanwhile. NextDueAt stays the
            // fallback for a store that places the given due time.
            // A job disabled by configuration is seeded (listed, its definition recorded) with no due time.
            seed.Add(new SeedJob(definition.Name, definition.Schedule, definition.TimeZone, definition.DefinitionHash,
                definition.Disabled ? null : RunRules.FirstDue(schedule, databaseNow).DueAt, _context.DeploymentVersion)
            {
                FirstDueAfter = definition.Disabled ? static _ => null : after => RunRules.FirstDue(schedule, after).DueAt,
                Disabled = definition.Disabled,
                CodeHash = definition.DeclaredHash,
                Facts = DefinitionFacts.Of(definition),
            });
        }

        return seed;
    }

    private async Task LoopAsync(CancellationToken stopping, CancellationToken hardStop)
    {
        var backoff = Backoff.ForStore();
        while (!stopping.IsCancellationRequested)
        {
            _context.Health.LoopIteration();
            var wake = _wake.WaitTask;
            TimeSpan delay;
            try
            {
                await _registration.RegisterIfDueAsync(stopping).ConfigureAwait(false);
                var active = _slots.ActiveNames();
                var claimable = _definitions.Count - active.Count(_definitions.ContainsKey);
                var free = _slots.FreeSlots;
                var wait = _pacer.WaitBeforeClaim(free, claimable, _slots.Held, _context.Time.GetTimestamp());
                if (wait is { } notNow)
                {
                    delay = notNow;
                }
                else
                {
                    var request = new ClaimRequest(_context.App, _context.NodeId, Math.Min(free, claimable), _context.LeaseDuration)
                    {
                        ExcludedNames = _slots.ExcludedNames(active),
                        NodeLiveWindow = _context.NodeLiveWindow,
                        Ahead = _context.ClaimAhead,
                        After = _pacer.ResumeAfter(_context.Time.GetTimestamp()),
                    };
                    var (batch, answeredAt) = await _runner.ClaimAndStartAsync(request, stopping, hardStop).ConfigureAwait(false);
                    _pacer.Claimed(request.After, request.MaxJobs, batch.Claimed.Count, batch.Resume, answeredAt);
                    _context.Health.StoreSucceeded();
                    if (backoff.Reset()) Log.StoreRecovered(_context.Logger, _context.Store.Kind);

                    // The claim kept this node's registration alive; a full one only when the fleet changed.
                    if (batch.RegistrationNeeded) await _registration.RegisterAsync(stopping).ConfigureAwait(false);
                    if (batch.PausesEnded) _pauses.Ended();
                    else _registration.KeptAlive();

                    _pacer.RunsStarted(batch.Claimed.Count, free);
                    var sleep = _pacer.SleepAfterClaim(request.MaxJobs, batch.Claimed.Count, _slots.FreeSlots, batch.EarliestDueAt, batch.DatabaseNow, _context.Clock.UtcNow);
                    if (sleep is not { } after) continue; // a full batch and slots still free: more may be due now
                    delay = after;
                }
            }
            catch (Exception) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                _context.Health.StoreFailed(ex.GetType().Name + ": " + EngineContext.Describe(ex));
                if (!await BackOffAsync(backoff, "poll", ex, wake, stopping).ConfigureAwait(false)) break;
                continue;
            }

            delay = TimeMath.Min(delay, _registration.UntilDue());
            _pruner.StartIfDue(stopping); // nothing more is due now: housekeeping, in the background
            _pauses.StartIfDue(stopping);
            await SleepAsync(delay, wake, stopping).ConfigureAwait(false);
        }
    }

    private async Task SleepAsync(TimeSpan delay, Task wake, CancellationToken stopping)
    {
        if (delay <= TimeSpan.Zero || wake.IsCompleted || stopping.IsCancellationRequested) return;
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var timer = Task.Delay(delay, _context.Time, cancel.Token);
        await Task.WhenAny(timer, wake).ConfigureAwait(false);
        cancel.Cancel(); // stops the timer; a cancelled Task.Delay nobody awaits throws nothing
    }

    /// <summary>
    /// Graceful shutdown: claiming has stopped and unstarted claims release themselves; running jobs get
    /// <see cref="DistCronOptions.ShutdownTimeout"/> to finish with their tokens untouched. At that deadline
    /// (<see cref="PassDeadlineAsync"/>) their tokens are cancelled and their leases no longer renewed; a job that stops
    /// releases its claim at once, and one still running after <see cref="ShutdownBudget.CancelWait"/> (or sooner, before
    /// its lease could end while this process still runs it) is abandoned and named with the moment its lease ends.
    /// </summary>
    private async Task DrainAsync()
    {
        var pending = _slots.InFlight();
        if (pending.Length == 0) return;
        var all = Task.WhenAll(pending);
        if (await WaitAsync(all, _context.ShutdownTimeout).ConfigureAwait(false)) return;

        var running = await PassDeadlineAsync(hostStoppedWaiting: false).ConfigureAwait(false);
        if (running is null) return; // the host stopped waiting first: it has already been done
        var wait = ShutdownBudget.CancelWait(_context.LeaseDuration);
        foreach (var (_, keeper) in running)
        {
            // Never wait past a lease this node no longer renews: whatever still runs then would overlap the rerun.
            wait = TimeMath.Min(wait, _context.Clock.Until(keeper.LeaseEnd - _context.LeaseSafetyMargin));
        }

        if (wait > TimeSpan.Zero && await WaitAsync(all, wait).ConfigureAwait(false)) return;
        var waitedMs = (long)TimeMath.Max(wait, TimeSpan.Zero).TotalMilliseconds;
        var abandoned = _runner.Running.Snapshot();
        await RunningJobs.StopRenewingAsync(abandoned, _context.Time).ConfigureAwait(false); // stopped at the deadline; a run listed since too
        foreach (var (claim, keeper) in abandoned)
        {
            Log.AbandonedAtShutdown(_context.Logger, claim.Token.JobName, claim.OccurrenceAt, claim.Token.Fence, waitedMs, keeper.LeaseEnd);
        }
    }

    /// <summary>
    /// The host stopped waiting before <see cref="DistCronOptions.ShutdownTimeout"/> ended (its own
    /// <c>HostOptions.ShutdownTimeout</c> is shorter): the deadline is now, and it is logged before the host exits.
    /// </summary>
    public Task HostStoppedWaitingAsync() => PassDeadlineAsync(hostStoppedWaiting: true);

    // Once per stop, whichever deadline comes first: names every job still running with its occurrence, fence and the
    // end of its lease, cancels their tokens and stops renewing their leases, so the lease end logged is when the fleet
    // can take the occurrence over. Null when the other deadline already did it.
    private async Task<IReadOnlyList<(ClaimedJob Claim, LeaseKeeper Keeper)>?> PassDeadlineAsync(bool hostStoppedWaiting)
    {
        if (Interlocked.Exchange(ref _deadlinePassed, 1) != 0) return null;
        var running = _runner.Running.Snapshot();
        if (hostStoppedWaiting) Log.HostStoppedWaiting(_context.Logger, (long)_context.ShutdownTimeout.TotalMilliseconds, running.Count);
        else Log.ShutdownTimeoutReached(_context.Logger, (long)_context.ShutdownTimeout.TotalMilliseconds, running.Count);

        try
        {
            _hardStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }

        await RunningJobs.StopRenewingAsync(running, _context.Time).ConfigureAwait(false);
        foreach (var (claim, keeper) in running)
        {
            Log.StillRunningAtDeadline(_context.Logger, claim.Token.JobName, claim.OccurrenceAt, claim.Token.Fence, keeper.LeaseEnd);
        }

        return running;
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource();
        var timer = Task.Delay(timeout, _context.Time, cancel.Token);
        var first = await Task.WhenAny(task, timer).ConfigureAwait(false);
        cancel.Cancel();
        return first == task;
    }

    // Waits out the backoff, or less: a wake-up (the store's signal connection restored, which on PostgreSQL means
    // the database is back) ends the wait, so a fleet claims the moment the database returns instead of a retry later.
    private async Task<bool> BackOffAsync(Backoff backoff, string operation, Exception ex, Task wake, CancellationToken stopping)
    {
        var delay = backoff.NextDelay();
        Log.StoreUnavailable(_context.Logger, _context.Store.Kind, operation, ex.GetType().Name, EngineContext.Describe(ex), (long)delay.TotalMilliseconds);
        await SleepAsync(delay, wake, stopping).ConfigureAwait(false);
        return !stopping.IsCancellationRequested;
    }
}
