using System.Diagnostics;
using System.Threading.Channels;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// Writes a node's completions in batches: completions that queue while a batch is in flight go together in the next
/// one (one round trip, <see cref="IJobStore.CompleteAsync(IReadOnlyList{Completion}, CancellationToken)"/>). Nothing
/// waits for a batch to fill: a lone completion is written at once, so batching costs no latency and appears exactly
/// when completions arrive faster than round trips, where a round trip per completion would cost the node CPU it
/// needs for the runs themselves. One batch in flight at a time also bounds the database connections a
/// node keeps busy completing, whatever its number of slots.
/// </summary>
internal sealed class CompletionWriter : IAsyncDisposable
{
    internal const int MaxBatch = 64;

    private readonly EngineContext _context;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(); // not SingleReader: DisposeAsync reads Count
    private readonly Lazy<Task> _writer;

    public CompletionWriter(EngineContext context)
    {
        _context = context;
        _writer = new Lazy<Task>(StartWriteLoop); // started by the first completion
    }

    // The loop outlives the run whose completion started it: started from that run's flow, it would carry the run's
    // span (Activity.Current) and log scopes, and every later batch's statements would belong to that ended span.
    private Task StartWriteLoop()
    {
        using (ExecutionContext.SuppressFlow())
        {
            return Task.Run(WriteLoopAsync);
        }
    }

    /// <summary>True when recorded, false when the claim was lost; throws when the store failed (retry: it is fenced).</summary>
    public Task<bool> CompleteAsync(Completion completion, CancellationToken cancellationToken)
    {
        var pending = new Pending(completion, Activity.Current);
        if (!_queue.Writer.TryWrite(pending)) throw new ObjectDisposedException(nameof(CompletionWriter));
        _ = _writer.Value;
        return pending.Result.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var pending)) batch.Add(pending);
            var written = batch.ToArray();
            // A lone completion's statement belongs to its run's span, still open while the run waits for it; a batch
            // of several runs belongs to none of them.
            Activity.Current = null;
            if (written.Length == 1 && written[0].Run is { IsStopped: false } run) Activity.Current = run;
            try
            {
                using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
                var recorded = await _context.Store.CompleteAsync(written.Select(p => p.Completion).ToArray(), limit.Token).ConfigureAwait(false);
                Hand(written, recorded, null);
            }
            catch (Exception ex)
            {
                // Nothing of the batch was recorded: each caller retries its own completion with backoff.
                Hand(written, null, ex);
            }
        }
    }

    // The callers resume (their runs finish: metrics, logs, the freed slot) on one thread-pool work item per batch, not
    // one each, and not on this loop, which goes on to write the next batch. A work item per completion was a thread
    // wake-up per run on a busy node, whose context switches then cost more than the runs.
    private static void Hand(Pending[] batch, IReadOnlyList<bool>? recorded, Exception? error) =>
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            var (batch, recorded, error) = state;
            for (var i = 0; i < batch.Length; i++)
            {
                if (error is null) batch[i].Result.TrySetResult(recorded![i]);
                else batch[i].Result.TrySetException(error);
            }
        }, (batch, recorded, error), preferLocal: false);

    /// <summary>Stops accepting completions once the node's runs have all ended, and writes what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writer.IsValueCreated || _queue.Reader.Count > 0) await _writer.Value.ConfigureAwait(false);
    }

    /// <param name="Completion">The completion.</param>
    /// <param name="Run">The run's span, if it has one.</param>
    private sealed record Pending(Completion Completion, Activity? Run)
    {
        // Continuations run inline, on the work item that hands the batch's results (see Hand).
        public TaskCompletionSource<bool> Result { get; } = new();
    }
}
