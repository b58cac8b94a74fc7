using System.Collections.Concurrent;
using DistCron.Diagnostics;
using DistCron.Scheduling;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// One node's scheduling loop: start up (migrate, seed, register), then claim due jobs into free slots, hand each to a
/// <see cref="JobRunner"/>, and sleep until the earliest due time, a store signal, a freed slot or the poll interval —
/// whichever comes first. Store outages are retried with capped backoff; they never end the loop. When to claim, from
/// where, and how long to sleep is <see cref="ClaimPacer"/>'s to decide; this class does the I/O.
/// </summary>
internal sealed class NodeLoop
{
    private readonly EngineContext _context;
    private readonly IReadOnlyDictionary<string, JobDefinition> _definitions;
    private readonly JobRunner _runner;
    private readonly CompletionWriter _completions;
    private readonly HistoryPruner _pruner;
    private readonly ConcurrentDictionary<string, Task> _active = new(StringComparer.Ordinal);
    private readonly HashSet<string> _foreign = new(StringComparer.Ordinal); // the app's jobs this node has no code for
    private readonly WakeSignal _wake = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly ClaimPacer _pacer;
    private readonly NodeRegistration _registration;

    // Runs holding a slot: from their start until the job method returns (or, when it never ran or was abandoned, until
    // the run's handling ends). _active lasts longer, until the completion is written: the claim excludes those jobs,
    // and a shutdown waits for them.
    private int _running;

    // Runs whose handling has not finished, _active's entries: the leases this node holds. Counted apart because
    // ConcurrentDictionary.Count takes every lock, and FreeSlots is read as each run returns and ends.
    private int _held;

    public NodeLoop(EngineContext context, IReadOnlyList<JobDefinition> definitions)
    {
        _context = context;
        _definitions = definitions.ToDictionary(d => d.Name, StringComparer.Ordinal);
        _completions = new CompletionWriter(context);
        _runner = new JobRunner(context, _completions);
        _pruner = new HistoryPruner(context, context.Retention);
        _registration = new NodeRegistration(context, _definitions.Keys);
        _pacer = new ClaimPacer(context.MaxConcurrentJobs, context.PollInterval, context.SaturatedClaimWait, context.ClaimAhead, context.Time.TimestampFrequency);
    }

    /// <summary>Jobs claimed by this node whose handling has not finished.</summary>
    public int ActiveCount => _active.Count;

    /// <summary>
    /// Slots not held by a running method: what the loop claims into, and what a finishing run checks before waking it.
    /// Also capped by the leases the node holds (running plus completions not yet written) at the slots plus one
    /// completion batch: when the store records completions more slowly than the node runs jobs, claiming more would
    /// only pile up leases nobody heartbeats (a run's lease keeper stops when its method returns).
    /// </summary>
    private int FreeSlots => Math.Min(SlotsNotRunning, LeasesLeft);

    private int SlotsNotRunning => _context.MaxConcurrentJobs - Volatile.Read(ref _running);

    private int LeasesLeft => _context.MaxConcurrentJobs + CompletionWriter.MaxBatch - Volatile.Read(ref _held);

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
        using var stopSignals = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        var signals = StoreSignalPump.RunAsync(_context, _wake, stopSignals.Token);
        try
        {
            await LoopAsync(stopping, _hardStop.Token).ConfigureAwait(false);
        }
        finally
        {
            await stopSignals.CancelAsync().ConfigureAwait(false);
            await signals.ConfigureAwait(false); // never faults
            await DrainAsync().ConfigureAwait(false);
            await _completions.DisposeAsync().ConfigureAwait(false); // every run has ended: nothing more to complete
            await _pruner.Running.ConfigureAwait(false); // cancelled by stopping; never faults
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
        while (true)
        {
            try
            {
                if (_context.AutoMigrate) await _context.Store.MigrateAsync(stopping).ConfigureAwait(false);
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
            catch (Exception ex)
            {
                _context.Health.StoreFailed(ex.GetType().Name + ": " + EngineContext.Describe(ex));
                if (!await BackOffAsync(backoff, "startup", ex, stopping).ConfigureAwait(false)) return false;
            }
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
            seed.Add(new SeedJob(definition.Name, definition.Schedule, definition.TimeZone, definition.DefinitionHash,
                RunRules.FirstDue(schedule, databaseNow).DueAt, _context.DeploymentVersion)
            {
                FirstDueAfter = after => RunRules.FirstDue(schedule, after).DueAt,
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
                // One snapshot of the active names per round, for the count and the claim's exclusions:
                // ConcurrentDictionary.Keys takes every lock and copies.
                var active = _active.Keys;
                var claimable = _definitions.Count - active.Count(_definitions.ContainsKey);
                var free = FreeSlots;
                var wait = _pacer.WaitBeforeClaim(free, claimable, Volatile.Read(ref _held), _context.Time.GetTimestamp());
                if (wait is { } notNow)
                {
                    delay = notNow;
                }
                else
                {
                    // Not cancelled by shutdown: a claim that committed but surfaced as "cancelled" would leave rows
                    // leased to a node that no longer runs them. Its runners release claims made after stopping.
                    using var claimLimit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
                    var request = new ClaimRequest(_context.App, _context.NodeId, JobNames: null, Math.Min(free, claimable), _context.LeaseDuration)
                    {
                        ExcludedNames = ExcludedNames(active),
                        NodeLiveWindow = _context.NodeLiveWindow,
                        Ahead = _context.ClaimAhead,
                        After = _pacer.ResumeAfter(_context.Time.GetTimestamp()),
                    };
                    var sentAt = _context.Clock.RoundTripStarts();
                    var batch = await _context.Store.ClaimDueAsync(request, claimLimit.Token).ConfigureAwait(false);
                    _pacer.Claimed(request.After, request.MaxJobs, batch.Claimed.Count, batch.Resume, _context.Time.GetTimestamp());
                    _context.Clock.Observe(batch.DatabaseNow, sentAt);
                    _context.Health.StoreSucceeded();
                    if (backoff.Reset()) Log.StoreRecovered(_context.Logger, _context.Store.Kind);

                    await StartVerifiedAsync(batch.Claimed, stopping, hardStop).ConfigureAwait(false);
                    // The claim kept this node's registration alive; a full one only when the fleet changed.
                    if (batch.RegistrationNeeded) await _registration.RegisterAsync(stopping).ConfigureAwait(false);
                    else _registration.KeptAlive();

                    _pacer.RunsStarted(batch.Claimed.Count, free);
                    var sleep = _pacer.SleepAfterClaim(request.MaxJobs, batch.Claimed.Count, FreeSlots, batch.EarliestDueAt, batch.DatabaseNow, _context.Clock.UtcNow);
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
                if (!await BackOffAsync(backoff, "poll", ex, stopping).ConfigureAwait(false)) break;
                continue;
            }

            delay = Min(delay, _registration.UntilDue());
            _pruner.StartIfDue(stopping); // nothing more is due now: housekeeping, in the background
            await SleepAsync(delay, wake, stopping).ConfigureAwait(false);
        }
    }

    // Claims name what NOT to take rather than every job this node has code for: a list of 1,000 names made each claim
    // cost the database a plan over the array and a lookup per name (docs/design.md). Excluded: jobs this node is still
    // running (or still waiting on after abandoning them), and jobs of the app it turned out to have no code for.
    private List<string> ExcludedNames(ICollection<string> active)
    {
        var excluded = new List<string>(active.Count + _foreign.Count);
        excluded.AddRange(active);
        excluded.AddRange(_foreign);
        return excluded;
    }

    // Verifies the whole batch in one round trip right before its runs start; a claim that is no longer ours (this
    // node stalled past its lease and another took the row) does not run. When the store cannot answer, nothing runs:
    // the leases expire and the occurrences are claimed again.
    private async Task StartVerifiedAsync(IReadOnlyList<ClaimedJob> claims, CancellationToken stopping, CancellationToken hardStop)
    {
        if (claims.Count == 0) return;
        IReadOnlyList<ClaimToken> owned;
        try
        {
            using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
            owned = await _context.Store.VerifyAsync(claims.Select(c => c.Token).ToArray(), limit.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "verify", ex.GetType().Name, EngineContext.Describe(ex), 0);
            return;
        }

        var stillOurs = owned.ToHashSet();
        foreach (var claimed in claims)
        {
            if (stillOurs.Contains(claimed.Token))
            {
                Start(claimed, stopping, hardStop);
            }
            else
            {
                Log.LostClaim(_context.Logger, claimed.Token.JobName, claimed.Token.Fence, "before start");
                _context.Metrics.LostClaim(claimed.Token.JobName);
            }
        }
    }

    private void Start(ClaimedJob claimed, CancellationToken stopping, CancellationToken hardStop)
    {
        var name = claimed.Token.JobName;
        if (!_definitions.ContainsKey(name)) _foreign.Add(name); // on the loop thread, like ExcludedNames
        _context.Metrics.Claimed(name);
        Log.Claimed(_context.Logger, name, claimed.OccurrenceAt, claimed.Attempt, claimed.Token.Fence);

        // Registered before the work starts, so the entry can never outlive the work.
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _active[name] = done.Task;
        Interlocked.Increment(ref _held);
        Interlocked.Increment(ref _running);
        var slot = 1; // this run's slot, freed exactly once
        bool FreeSlot()
        {
            if (Interlocked.Exchange(ref slot, 0) == 0) return false;
            Interlocked.Decrement(ref _running);
            return true;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                if (_definitions.TryGetValue(name, out var definition))
                {
                    await _runner.RunAsync(claimed, definition, stopping, hardStop, () =>
                    {
                        if (FreeSlot() && SlotFreeWorthWaking()) _wake.Set();
                    }).ConfigureAwait(false);
                }
                else
                {
                    // Another deployment's job (a rolling deploy, or several services under one app name): handed
                    // back at once, and never claimed again by this node.
                    Log.UnknownJob(_context.Logger, name);
                    await _context.Store.ReleaseAsync(claimed.Token, CancellationToken.None).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // JobRunner handles every expected failure; this is a last resort so the slot is always freed.
                Log.StoreUnavailable(_context.Logger, _context.Store.Kind, "run handling", ex.GetType().Name, EngineContext.Describe(ex), 0);
            }
            finally
            {
                var slotFreedHere = FreeSlot(); // the method never ran, or was abandoned and has now ended
                _active.TryRemove(new KeyValuePair<string, Task>(name, done.Task));
                Interlocked.Decrement(ref _held);
                done.TrySetResult();
                if (HandlingEndWorthWaking(slotFreedHere)) _wake.Set();
            }
        });
    }

    // Run threads ask the pacer's rules with this node's counters; see ClaimPacer.WakeOn.
    private bool SlotFreeWorthWaking() => ClaimPacer.SlotFreeWorthWaking(_pacer.WakeOn, FreeSlots, _context.MaxConcurrentJobs);

    private bool HandlingEndWorthWaking(bool slotFreedHere) =>
        ClaimPacer.HandlingEndWorthWaking(_pacer.WakeOn, slotFreedHere, SlotsNotRunning, LeasesLeft, _context.MaxConcurrentJobs);

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
    /// <see cref="DistCronOptions.ShutdownTimeout"/> to finish with their tokens untouched, then their tokens are cancelled
    /// and they get <see cref="EngineContext.AbandonGrace"/> more to record or release their claims.
    /// </summary>
    private async Task DrainAsync()
    {
        var pending = _active.Values.ToArray();
        if (pending.Length == 0) return;
        var all = Task.WhenAll(pending);
        if (await WaitAsync(all, _context.ShutdownTimeout).ConfigureAwait(false)) return;

        Log.ShutdownTimeoutReached(_context.Logger, (long)_context.ShutdownTimeout.TotalMilliseconds, _active.Count);
        CancelRunningJobs();
        await WaitAsync(all, _context.AbandonGrace + TimeSpan.FromSeconds(1)).ConfigureAwait(false);
    }

    /// <summary>
    /// Cancels the tokens of running jobs now (the shutdown timeout passed, or the host stopped waiting first); they
    /// release their claims as they end.
    /// </summary>
    public void CancelRunningJobs()
    {
        try
        {
            _hardStop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Already stopped.
        }
    }

    private async Task<bool> WaitAsync(Task task, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource();
        var timer = Task.Delay(timeout, _context.Time, cancel.Token);
        var first = await Task.WhenAny(task, timer).ConfigureAwait(false);
        cancel.Cancel();
        return first == task;
    }

    private async Task<bool> BackOffAsync(Backoff backoff, string operation, Exception ex, CancellationToken stopping)
    {
        var delay = backoff.NextDelay();
        Log.StoreUnavailable(_context.Logger, _context.Store.Kind, operation, ex.GetType().Name, EngineContext.Describe(ex), (long)delay.TotalMilliseconds);
        try
        {
            await Task.Delay(delay, _context.Time, stopping).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
