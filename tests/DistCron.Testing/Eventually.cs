namespace DistCron.Tests.Infrastructure;

/// <summary>
/// Waits for something another thread, process or node does: polls a condition until it holds, and fails with what
/// was awaited once a deadline passes. The one wait helper of the test projects.
/// </summary>
public static class Eventually
{
    /// <summary>Generous: the suite runs on loaded 2-core machines, and a wait that gives up early is a flaky test.</summary>
    public static readonly TimeSpan DefaultDeadline = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    /// <summary>Returns once <paramref name="condition"/> is true; throws a <see cref="TimeoutException"/> naming <paramref name="what"/> after the deadline.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = within ?? DefaultDeadline;
        var until = DateTime.UtcNow + deadline;
        while (!await condition())
        {
            if (DateTime.UtcNow > until) throw new TimeoutException($"Not reached within {deadline.TotalSeconds:0.###} s: {what}.");
            await Task.Delay(PollInterval);
        }
    }

    /// <inheritdoc cref="TrueAsync(Func{Task{bool}}, string, TimeSpan?)"/>
    public static Task TrueAsync(Func<bool> condition, string what, TimeSpan? within = null) =>
        TrueAsync(() => Task.FromResult(condition()), what, within);
}
