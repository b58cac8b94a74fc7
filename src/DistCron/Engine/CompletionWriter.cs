using System.Threading.Channels;
using DistCron.Storage;

namespace DistCron.Engine;

/// <summary>
/// Writes a node's completions in batches: completions that queue while a batch is in flight go together in the next
/// one (one round trip, <see cref="IJobStore.CompleteAsync(IReadOnlyList{Completion}, CancellationToken)"/>). Nothing
/// waits for a batch to fill: a lone completion is written at once, so batching costs no latency and appears exactly
/// when completions arrive faster than round trips (measured: the node's CPU per occurrence, not the database, was
/// what separated it from the raw-SQL ceiling). One batch in flight at a time also bounds the database connections a
/// node keeps busy completing, whatever its number of slots.
/// </summary>
internal sealed class CompletionWriter : IAsyncDisposable
{
    private const int MaxBatch = 64;

    private readonly EngineContext _context;
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(); // not SingleReader: DisposeAsync reads Count
    private readonly Lazy<Task> _writer;

    public CompletionWriter(EngineContext context)
    {
        _context = context;
        _writer = new Lazy<Task>(() => Task.Run(WriteLoopAsync)); // started by the first completion
    }

    /// <summary>True when recorded, false when the claim was lost; throws when the store failed (retry: it is fenced).</summary>
    public Task<bool> CompleteAsync(Completion completion, CancellationToken cancellationToken)
    {
        var pending = new Pending(completion);
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
            try
            {
                using var limit = new CancellationTokenSource(_context.LeaseDuration, _context.Time);
                var recorded = await _context.Store.CompleteAsync(batch.Select(p => p.Completion).ToArray(), limit.Token).ConfigureAwait(false);
                for (var i = 0; i < batch.Count; i++) batch[i].Result.TrySetResult(recorded[i]);
            }
            catch (Exception ex)
            {
                // Nothing of the batch was recorded: each caller retries its own completion with backoff.
                foreach (var pending in batch) pending.Result.TrySetException(ex);
            }
        }
    }

    /// <summary>Stops accepting completions once the node's runs have all ended, and writes what is queued.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        if (_writer.IsValueCreated || _queue.Reader.Count > 0) await _writer.Value.ConfigureAwait(false);
    }

    private sealed record Pending(Completion Completion)
    {
        public TaskCompletionSource<bool> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
