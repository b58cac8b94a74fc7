using DistCron.Diagnostics;

namespace DistCron.Engine;

/// <summary>
/// Ends timed pauses (<c>pause_until</c> passed, by the database clock): started by the loop when it is about to sleep,
/// only after a claim reported an ended pause (<see cref="Storage.ClaimBatch.PausesEnded"/>, so an idle node sends no
/// statement of its own for it), at most once per <see cref="EngineContext.RegistrationInterval"/>, in the background. Each ended pause is resumed
/// like an operator's resume (due time from the row's own schedule, conditional on its revision) and only while the pause
/// is still the ended one, so a pause extended meanwhile stays; many nodes doing it at once resume a job once. The claim
/// is left alone: a paused row stays out of the claim index until a resume puts it back with a fresh due time.
/// </summary>
internal sealed class PauseExpiry
{
    private readonly EngineContext _context;
    private readonly DistCronClient _client;
    private long _next;
    private volatile bool _ended;
    private Task _running = Task.CompletedTask;

    public PauseExpiry(EngineContext context)
    {
        _context = context;
        _client = new DistCronClient(context.Store, context.App);
        _next = context.Time.GetTimestamp();
    }

    /// <summary>The check in progress (or a completed task). Never faults.</summary>
    public Task Running => _running;

    /// <summary>A claim reported a timed pause that is over.</summary>
    public void Ended() => _ended = true;

    /// <summary>Starts a check in the background when a pause ended, none is running and the last was long enough ago. Called by the loop only.</summary>
    public void StartIfDue(CancellationToken stopping)
    {
        if (!_ended || !_running.IsCompleted || stopping.IsCancellationRequested) return;
        var now = _context.Time.GetTimestamp();
        if (now < _next) return;
        _next = now + (long)(_context.RegistrationInterval.TotalSeconds * _context.Time.TimestampFrequency);
        _ended = false; // the next claim says again whether one is still over (a failed resume is retried)
        _running = Task.Run(() => ResumeEndedAsync(stopping), CancellationToken.None);
    }

    private async Task ResumeEndedAsync(CancellationToken stopping)
    {
        try
        {
            foreach (var name in await _context.Store.ListExpiredPausesAsync(_context.App, stopping).ConfigureAwait(false))
            {
                var next = await _client.ResumeExpiredPauseAsync(name, _context.NodeId, stopping).ConfigureAwait(false);
                Log.PauseEnded(_context.Logger, name, next);
            }
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            // Shutting down: another node, or this one at its next start, ends the pause.
        }
        catch (Exception ex)
        {
            Log.PauseEndFailed(_context.Logger, _context.App, ex.GetType().Name, EngineContext.Describe(ex));
        }
    }
}
