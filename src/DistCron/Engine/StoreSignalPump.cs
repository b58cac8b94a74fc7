namespace DistCron.Engine;

/// <summary>
/// Turns the store's signals (NOTIFY on PostgreSQL) into wake-ups of the node loop, from one long-lived wait per node.
/// A wait started and cancelled around every sleep cost a timer, a linked token and an OperationCanceledException per
/// loop round (docs/design.md, "the node's own CPU per run"). A store that cannot signal, or returns early
/// without a signal, is simply asked again after the poll interval: the loop still wakes on its own timer.
/// </summary>
internal static class StoreSignalPump
{
    /// <summary>Runs until <paramref name="stop"/> is cancelled; never faults.</summary>
    public static async Task RunAsync(EngineContext context, WakeSignal wake, CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            var started = context.Time.GetTimestamp();
            bool signalled;
            try
            {
                signalled = await context.Store.WaitForSignalAsync(context.App, context.PollInterval, stop).ConfigureAwait(false);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                signalled = false; // a store outage: the loop's own claims report it
            }

            if (signalled)
            {
                wake.Set();
                continue;
            }

            var left = context.PollInterval - context.Time.GetElapsedTime(started);
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left, context.Time, stop).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }
}
