using System.Globalization;

namespace DistCron.Fleet;

/// <summary>How the fleet's nodes are configured.</summary>
/// <param name="Store">The shared database.</param>
/// <param name="App">DistCron app name (one per run, so runs never see each other's rows).</param>
/// <param name="Nodes">How many node processes.</param>
/// <param name="Jobs">Every-second jobs per node (the same list on every node), besides the two generated ones.</param>
/// <param name="Lease">Lease duration.</param>
/// <param name="Heartbeat">Heartbeat interval (less than half the lease).</param>
/// <param name="Poll">Longest idle poll.</param>
/// <param name="MisfireThreshold">Lateness beyond which a claim is a misfire (RunOnce then collapses missed slots).</param>
/// <param name="LogDirectory">Where each node's output goes (one file per node id).</param>
/// <param name="ClockSkews">Per node slot, the offset of that node's application clock (missing: none).</param>
public sealed record FleetOptions(
    FleetStore Store,
    string App,
    int Nodes,
    int Jobs,
    TimeSpan Lease,
    TimeSpan Heartbeat,
    TimeSpan Poll,
    TimeSpan MisfireThreshold,
    string LogDirectory,
    IReadOnlyList<TimeSpan>? ClockSkews = null)
{
    /// <summary>
    /// The release every node starts with (--release, the deployment version); null: none (no deployment version,
    /// release 1's schedules). <see cref="Fleet.SetRelease"/> changes it per slot for a rolling deploy.
    /// </summary>
    public int? Release { get; init; }

    /// <summary>How long each run works, in milliseconds (--work-ms); null: the node's default (100-300).</summary>
    public (int Min, int Max)? Work { get; init; }
}

/// <summary>
/// A set of node slots, each running one DistCron.TestNode process at a time. A killed slot restarts as a NEW node
/// (new process, new node id "n{slot}.{incarnation}"), as a crashed server's replacement would.
/// </summary>
public sealed class Fleet : IAsyncDisposable
{
    private static readonly TimeSpan StartupTimeout = TimeSpan.FromSeconds(90);
    private readonly FleetOptions _options;
    private readonly TestNodeProcess?[] _slots;
    private readonly int[] _incarnations;
    private readonly int?[] _releases;
    private readonly List<TestNodeProcess> _all = [];
    private readonly object _gate = new();

    public Fleet(FleetOptions options)
    {
        _options = options;
        _slots = new TestNodeProcess?[options.Nodes];
        _incarnations = new int[options.Nodes];
        _releases = Enumerable.Repeat(options.Release, options.Nodes).ToArray();
    }

    public FleetEvents Events { get; } = new();

    public FleetOptions Options => _options;

    public int Count => _slots.Length;

    /// <summary>The process currently in a slot (null while dead).</summary>
    public TestNodeProcess? this[int slot]
    {
        get { lock (_gate) return _slots[slot]; }
    }

    /// <summary>Every process started so far, including killed ones.</summary>
    public IReadOnlyList<TestNodeProcess> AllProcesses
    {
        get { lock (_gate) return _all.ToArray(); }
    }

    /// <summary>The job names the nodes registered (from their "ready" lines).</summary>
    public IReadOnlyList<string> JobNames { get; private set; } = [];

    /// <summary>Starts every slot and waits until each node is ready and every job has run at least once.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await _options.Store.CreateAuditTableAsync(cancellationToken);
        for (var slot = 0; slot < _slots.Length; slot++) StartSlot(slot);
        var nodes = Enumerable.Range(0, _slots.Length).Select(s => this[s]!).ToArray();
        await WaitAsync(Task.WhenAll(nodes.Select(n => n.Ready)), StartupTimeout, "every node to print 'ready'", cancellationToken);

        var lists = nodes.Select(n => JobsOf(n.ReadyLine!)).ToArray();
        if (lists.Any(l => !l.SequenceEqual(lists[0])))
        {
            throw new InvalidOperationException("Nodes registered different job lists:\n" + string.Join('\n', nodes.Select(n => n.ReadyLine)));
        }

        JobNames = lists[0];
        var deadline = DateTimeOffset.UtcNow + StartupTimeout;
        while (true)
        {
            var ran = (await _options.Store.ReadAuditAsync(_options.App, cancellationToken)).Select(a => a.Job).ToHashSet();
            var missing = JobNames.Where(j => !ran.Contains(j)).ToArray();
            if (missing.Length == 0) return;
            if (DateTimeOffset.UtcNow > deadline)
            {
                throw new TimeoutException($"{missing.Length} job(s) never ran within {StartupTimeout.TotalSeconds} s of start: " +
                                           string.Join(", ", missing.Take(10)) + "\n" + Tails());
            }

            await Task.Delay(250, cancellationToken);
        }
    }

    /// <summary>The release the slot's next process starts with.</summary>
    public int? ReleaseOf(int slot)
    {
        lock (_gate) return _releases[slot];
    }

    /// <summary>Sets the release the slot's next process starts with (a rolling deploy; a running process is left as is).</summary>
    public void SetRelease(int slot, int release)
    {
        lock (_gate) _releases[slot] = release;
    }

    /// <summary>
    /// Empties the slot (so no kill or freeze picks it any more) and stops its process gracefully (SIGTERM), as a
    /// rolling deploy does; a node that hangs is killed and reported. Returns the stopped process, or null when the
    /// slot was empty or its process frozen (left alone: the caller retries later).
    /// </summary>
    public async Task<TestNodeProcess?> StopSlotAsync(int slot)
    {
        TestNodeProcess? node;
        lock (_gate)
        {
            node = _slots[slot];
            if (node is null || node.IsFrozen) return null;
            _slots[slot] = null;
        }

        if (!await node.StopAsync(TimeSpan.FromSeconds(30)))
        {
            Events.Problem($"node {node.NodeId} did not stop gracefully on SIGTERM within 30 s (exit code {node.ExitCode}); see {node.LogPath}");
        }

        return node;
    }

    /// <summary>Starts a new process in an empty slot (after a kill or a crash).</summary>
    public TestNodeProcess StartSlot(int slot)
    {
        lock (_gate)
        {
            if (_slots[slot] is { HasExited: false }) throw new InvalidOperationException($"slot {slot} is still running");
            var nodeId = string.Create(CultureInfo.InvariantCulture, $"n{slot}.{_incarnations[slot]++}");
            var skew = _options.ClockSkews is { } skews && slot < skews.Count ? skews[slot] : TimeSpan.Zero;
            var node = TestNodeProcess.Start(nodeId, Arguments(nodeId, skew, _releases[slot]), _options.LogDirectory, Events.Stalled);
            _slots[slot] = node;
            _all.Add(node);
            return node;
        }
    }

    /// <summary>SIGKILLs the slot's process (its claims stay leased until they expire) and records it.</summary>
    public TestNodeProcess Kill(int slot)
    {
        TestNodeProcess node;
        lock (_gate)
        {
            node = _slots[slot] ?? throw new InvalidOperationException($"slot {slot} is empty");
            _slots[slot] = null;
        }

        var at = DateTimeOffset.UtcNow;
        node.Kill();
        Events.Killed(node.NodeId, at);
        return node;
    }

    /// <summary>Like <see cref="Kill"/>, but null when the slot was emptied meanwhile (a rolling deploy stopping it).</summary>
    public TestNodeProcess? TryKill(int slot)
    {
        lock (_gate)
        {
            if (_slots[slot] is null) return null;
        }

        return Kill(slot);
    }

    /// <summary>
    /// SIGSTOPs the slot's process unless the slot was emptied meanwhile (a rolling deploy stopping it): under the
    /// slot lock, so a node being stopped is never frozen halfway through its shutdown.
    /// </summary>
    public TestNodeProcess? TryFreeze(int slot)
    {
        lock (_gate)
        {
            var node = _slots[slot];
            node?.Freeze();
            return node;
        }
    }

    /// <summary>Nodes that exited although the harness neither killed nor stopped them.</summary>
    public IReadOnlyList<TestNodeProcess> Crashed() =>
        AllProcesses.Where(n => n.HasExited && !n.WasKilled && !n.StopRequested).ToArray();

    /// <summary>Stops every live node gracefully (SIGTERM), in parallel; a node that hangs is killed and reported.</summary>
    public async Task StopAllAsync()
    {
        TestNodeProcess[] live;
        lock (_gate) live = _slots.Where(n => n is { HasExited: false }).Select(n => n!).ToArray();
        var results = await Task.WhenAll(live.Select(async n => (Node: n, Graceful: await n.StopAsync(TimeSpan.FromSeconds(30)))));
        foreach (var (node, graceful) in results.Where(r => !r.Graceful))
        {
            Events.Problem($"node {node.NodeId} did not stop gracefully on SIGTERM within 30 s (exit code {node.ExitCode}); see {node.LogPath}");
        }
    }

    /// <summary>The end of every node's log, for a failure message.</summary>
    public string Tails(int lines = 8) =>
        string.Join('\n', AllProcesses.Select(n => $"--- {n.NodeId} ({n.LogPath}) ---\n{n.Tail(lines)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in AllProcesses) await node.DisposeAsync();
    }

    private IEnumerable<string> Arguments(string nodeId, TimeSpan skew, int? release)
    {
        static string Seconds(TimeSpan value) => value.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        IEnumerable<string> releaseArguments = release is { } r ? ["--release", r.ToString(CultureInfo.InvariantCulture)] : [];
        IEnumerable<string> workArguments = _options.Work is { } work
            ? ["--work-ms", string.Create(CultureInfo.InvariantCulture, $"{work.Min}-{work.Max}")]
            : [];
        return
        [
            .. releaseArguments,
            .. workArguments,
            "--store", _options.Store.Kind,
            "--connection", _options.Store.NodeConnection,
            "--app", _options.App,
            "--jobs", _options.Jobs.ToString(CultureInfo.InvariantCulture),
            "--node-id", nodeId,
            "--clock-skew", Seconds(skew),
            "--lease", Seconds(_options.Lease),
            "--heartbeat", Seconds(_options.Heartbeat),
            "--poll", Seconds(_options.Poll),
            "--misfire-threshold", Seconds(_options.MisfireThreshold),
            "--parent-pid", Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        ];
    }

    private static IReadOnlyList<string> JobsOf(string readyLine)
    {
        var field = readyLine.Split(' ').FirstOrDefault(p => p.StartsWith("jobs=", StringComparison.Ordinal));
        return field is null ? [] : field["jobs=".Length..].Split(',', StringSplitOptions.RemoveEmptyEntries);
    }

    private async Task WaitAsync(Task task, TimeSpan timeout, string what, CancellationToken cancellationToken)
    {
        try
        {
            await task.WaitAsync(timeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"Timed out after {timeout.TotalSeconds} s waiting for {what}.\n{Tails()}");
        }
    }
}
