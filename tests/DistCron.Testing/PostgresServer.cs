using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Npgsql;

namespace DistCron.Tests.Infrastructure;

/// <summary>
/// A real, throwaway PostgreSQL cluster for tests: initdb + pg_ctl in a temp directory, listening only on
/// 127.0.0.1 on a free port, with a random superuser password (so "no secret in logs" tests have one to look for).
/// <see cref="SharedAsync"/> starts one cluster per test run, shared by every PostgreSQL test class; each class or
/// test gets its own database from <see cref="CreateDatabaseAsync"/>. Tests that restart the server start a private
/// cluster with <see cref="StartAsync"/> so they cannot disturb the others.
/// </summary>
/// <remarks>
/// Never skips: when PostgreSQL cannot be found, installed or started, the failure surfaces as an exception that
/// carries the server log. Clusters are stopped (<c>pg_ctl stop -m immediate</c>) and deleted at process exit;
/// clusters left behind by a killed test run are reaped on the next start (their owner pid is recorded).
/// </remarks>
public sealed class PostgresServer : IAsyncDisposable
{
    private const string SuperUser = "postgres";
    private const string DirectoryPrefix = "distcron-pg-";
    private const string OwnerPidFile = "owner.pid";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);
    private static readonly Lazy<Task<PostgresServer>> Shared = new(() => StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly List<PostgresServer> Running = [];
    private int _stopped;

    static PostgresServer()
    {
        // Runs when the test host exits, whether tests passed or failed. The test platform kills the host moments
        // after ProcessExit starts, so the stop + delete runs in a detached session that outlives the host.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            PostgresServer[] all;
            lock (Running) all = [.. Running];
            foreach (var server in all) server.StopDetached();
        };
    }

    private PostgresServer(string binDirectory, string rootDirectory, int port, string password, bool runAsPostgres)
    {
        BinDirectory = binDirectory;
        RootDirectory = rootDirectory;
        Port = port;
        Password = password;
        RunAsPostgres = runAsPostgres;
    }

    /// <summary>The directory holding initdb, pg_ctl, postgres.</summary>
    public string BinDirectory { get; }
    /// <summary>The temp directory: data directory, socket directory and log file live under it.</summary>
    public string RootDirectory { get; }
    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; private set; }
    /// <summary>The superuser's password (appears in connection strings; must never appear in DistCron's logs or errors).</summary>
    public string Password { get; }
    private bool RunAsPostgres { get; }
    private bool CrashSafe { get; init; }
    private string? ExtraSettings { get; init; }
    private string DataDirectory => Path.Combine(RootDirectory, "data");
    private string LogFile => Path.Combine(RootDirectory, "server.log");

    /// <summary>The one cluster shared by the whole test run (started on first use).</summary>
    public static Task<PostgresServer> SharedAsync() => Shared.Value;

    /// <summary>A connection string for <paramref name="database"/> as the superuser.</summary>
    public string ConnectionString(string database = "postgres") => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = SuperUser,
        Password = Password,
        Database = database,
        // Generous: the machine is shared and loaded. Pool sizes stay below max_connections (300) per database.
        Timeout = 30,
        CommandTimeout = 60,
        MaxPoolSize = 40,
    }.ConnectionString;

    /// <summary>Creates a fresh, empty database with a unique name and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string hint = "t")
    {
        var cleanHint = new string(hint.ToLowerInvariant().Where(c => c is >= 'a' and <= 'z' or >= '0' and <= '9').Take(20).ToArray());
        var name = $"{(cleanHint.Length == 0 ? "t" : cleanHint)}_{Guid.NewGuid():N}";
        await using var connection = new NpgsqlConnection(ConnectionString());
        await connection.OpenAsync();
        // A database name cannot be a parameter; this one is generated from [a-z0-9_] only.
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return ConnectionString(name);
    }

    /// <summary>The server log so far (attached to failures).</summary>
    public string ReadLog()
    {
        try { return File.Exists(LogFile) ? File.ReadAllText(LogFile) : "(no server log)"; }
        catch (IOException e) { return $"(server log unreadable: {e.Message})"; }
    }

    /// <summary>Starts a new private cluster (stopped at process exit or on dispose).</summary>
    /// <param name="crashSafe">
    /// Every commit durable before it is acknowledged (<c>fsync</c>, <c>synchronous_commit</c> and
    /// <c>full_page_writes</c> on, PostgreSQL's defaults), so a commit survives <see cref="RestartAsync"/> in immediate
    /// mode and anything else short of a disk failure. For every cluster that is crashed on purpose (the chaos tool,
    /// whose audit checks these settings). The shared cluster trades this for speed.
    /// </param>
    /// <param name="extraSettings">Lines appended to postgresql.conf (tests of the fixture itself).</param>
    /// <param name="port">The port to try first (tests of the fixture itself); any free one by default.</param>
    public static async Task<PostgresServer> StartAsync(bool crashSafe = false, string? extraSettings = null, int? port = null)
    {
        var runAsPostgres = Environment.UserName == "root" || CurrentUser.IsRoot();
        ReapAbandonedClusters();
        var bin = await FindOrInstallBinariesAsync(runAsPostgres);

        var root = Path.Combine(Path.GetTempPath(), DirectoryPrefix + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        await File.WriteAllTextAsync(Path.Combine(root, OwnerPidFile), Environment.ProcessId.ToString());
        var password = "pw-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(12)).ToLowerInvariant();
        var server = new PostgresServer(bin, root, port ?? ClusterPort(), password, runAsPostgres) { CrashSafe = crashSafe, ExtraSettings = extraSettings };
        lock (Running) Running.Add(server);
        try
        {
            await server.InitAsync();
            await server.StartServerAsync();
            return server;
        }
        catch
        {
            server.Stop();
            throw;
        }
    }

    /// <summary>Restarts the server (immediate mode by default = crash-like: every connection is cut) and waits until it accepts connections.</summary>
    public async Task RestartAsync(bool immediate = true)
    {
        var result = await PgCtlAsync("restart", "-w", "-t", "120", "-m", immediate ? "immediate" : "fast", "-D", DataDirectory, "-l", LogFile);
        if (!result.Succeeded) throw Failure("pg_ctl restart failed", result.Output);
        await WaitUntilReadyAsync();
    }

    /// <summary>Stops the server (immediate: every connection is cut) and keeps its data, for an outage that lasts until <see cref="StartAgainAsync"/>.</summary>
    public async Task StopKeepingDataAsync()
    {
        var result = await PgCtlAsync("stop", "-w", "-t", "120", "-m", "immediate", "-D", DataDirectory);
        if (!result.Succeeded) throw Failure("pg_ctl stop failed", result.Output);
    }

    /// <summary>Starts a server stopped by <see cref="StopKeepingDataAsync"/> and waits until it accepts connections.</summary>
    public Task StartAgainAsync() => StartServerAsync();

    /// <summary>Stops the server now (immediate) and deletes its directory. Safe to call twice.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        lock (Running) Running.Remove(this);
        StopCluster(BinDirectory, RootDirectory, RunAsPostgres);
    }

    private void StopDetached()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 1) return;
        var pgCtl = Path.Combine(BinDirectory, "pg_ctl");
        var stop = RunAsPostgres ? $"runuser -u postgres -- \"{pgCtl}\"" : $"\"{pgCtl}\"";
        var script = $"{stop} stop -w -t 60 -m immediate -D \"$1/data\" >/dev/null 2>&1; rm -rf \"$1\"";
        try
        {
            var info = new System.Diagnostics.ProcessStartInfo("setsid") { UseShellExecute = false };
            foreach (var argument in new[] { "-f", "/bin/sh", "-c", script, "distcron-pg-cleanup", RootDirectory }) info.ArgumentList.Add(argument);
            using var process = System.Diagnostics.Process.Start(info);
            process?.WaitForExit(2000); // setsid -f returns as soon as the detached child is forked
        }
        catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            StopCluster(BinDirectory, RootDirectory, RunAsPostgres);
        }
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }

    private async Task InitAsync()
    {
        var passwordFile = Path.Combine(RootDirectory, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        if (RunAsPostgres)
        {
            // The cluster runs as 'postgres': it must own the directory, and every parent must be traversable.
            EnsureTraversable(Path.GetDirectoryName(RootDirectory)!);
            var chown = await ProcessRunner.RunAsync("chown", ["-R", "postgres:postgres", RootDirectory], CommandTimeout);
            if (!chown.Succeeded) throw Failure("chown of the cluster directory failed", chown.Output);
        }

        var init = await RunBinaryAsync("initdb", [
            "-D", DataDirectory, "-U", SuperUser, "--pwfile", passwordFile, "--auth-host=scram-sha-256", "--auth-local=trust",
            "-E", "UTF8", .. await LocaleArgumentsAsync(), "--no-sync", "--no-instructions"]);
        File.Delete(passwordFile);
        if (!init.Succeeded) throw Failure("initdb failed", init.Output);

        // Speed over durability unless crash-safe: this cluster is thrown away after the run.
        var durable = CrashSafe ? "on" : "off";
        var settings = $"""

            # DistCron test cluster
            listen_addresses = '127.0.0.1'
            port = {Port}
            unix_socket_directories = '{RootDirectory}'
            max_connections = 300
            fsync = {durable}
            synchronous_commit = {durable}
            full_page_writes = {durable}
            shared_buffers = 64MB
            log_min_messages = warning
            log_connections = off
            {ExtraSettings}
            """;
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), settings);
    }

    /// <summary>The collation every database of the cluster gets unless it asks for another.</summary>
    public const string DefaultIcuLocale = "en-US";

    // A real-world collation, as production databases have: ICU en-US sorts "a" before "B", byte order the other way
    // round, and a cluster created with --locale=C hid a deadlock between statements that locked rows in the two
    // orders. ICU (PostgreSQL 15+) needs no OS locale to be generated, so a fresh machine needs no setup; lc_ctype
    // stays C. Older servers fall back to the libc locale en_US.UTF-8, which must then exist (locale-gen).
    private async Task<string[]> LocaleArgumentsAsync()
    {
        var version = await RunBinaryAsync("initdb", ["--version"]);
        var match = System.Text.RegularExpressions.Regex.Match(version.Output, @"\(PostgreSQL\) (\d+)");
        return match.Success && int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 15
            ? ["--locale=C", "--locale-provider=icu", $"--icu-locale={DefaultIcuLocale}"]
            : ["--locale=en_US.UTF-8"];
    }

    // The port is only known free when it is chosen: until the server binds it, another test process's cluster (the
    // test assemblies run in parallel) or any other program may take it. Such a start is retried on a new port.
    private async Task StartServerAsync()
    {
        for (var attempt = 1; ; attempt++)
        {
            var logBefore = File.Exists(LogFile) ? new FileInfo(LogFile).Length : 0;
            var start = await PgCtlAsync("start", "-w", "-t", "120", "-D", DataDirectory, "-l", LogFile);
            if (start.Succeeded) break;
            if (attempt == 5 || !PortWasTaken(logBefore)) throw Failure("pg_ctl start failed", start.Output);
            Port = ClusterPort();
            await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), $"\nport = {Port} # the previous one was taken\n");
        }

        await WaitUntilReadyAsync();
    }

    private bool PortWasTaken(long logOffset)
    {
        var log = ReadLog();
        var attemptLog = logOffset < log.Length ? log[(int)logOffset..] : log;
        return attemptLog.Contains("could not bind IPv4 address", StringComparison.Ordinal)
            || attemptLog.Contains("Address already in use", StringComparison.Ordinal);
    }

    private async Task WaitUntilReadyAsync()
    {
        Exception? last = null;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await using var connection = new NpgsqlConnection(ConnectionString() + ";Pooling=false");
                await connection.OpenAsync();
                await using var command = new NpgsqlCommand("select 1", connection);
                await command.ExecuteScalarAsync();
                return;
            }
            catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
            {
                last = e;
                await Task.Delay(200);
            }
        }

        throw Failure("PostgreSQL did not accept connections within 120 s", last?.Message ?? "");
    }

    private Task<ProcessRunner.Result> PgCtlAsync(params string[] arguments) => RunBinaryAsync("pg_ctl", arguments);

    private Task<ProcessRunner.Result> RunBinaryAsync(string binary, IReadOnlyList<string> arguments) =>
        RunBinary(BinDirectory, binary, arguments, RunAsPostgres);

    private static Task<ProcessRunner.Result> RunBinary(string bin, string binary, IReadOnlyList<string> arguments, bool runAsPostgres)
    {
        var path = Path.Combine(bin, binary);
        // PostgreSQL refuses to run as root; as root, run it as the 'postgres' system user.
        return runAsPostgres
            ? ProcessRunner.RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments], CommandTimeout)
            : ProcessRunner.RunAsync(path, arguments, CommandTimeout);
    }

    private InvalidOperationException Failure(string what, string output) => new(
        $"Test PostgreSQL ({BinDirectory}, port {Port}, dir {RootDirectory}): {what}.\n--- command output ---\n{output}\n--- server log ---\n{ReadLog()}");

    private static void StopCluster(string bin, string root, bool runAsPostgres)
    {
        var data = Path.Combine(root, "data");
        try
        {
            if (File.Exists(Path.Combine(data, "postmaster.pid")))
            {
                RunBinary(bin, "pg_ctl", ["stop", "-w", "-t", "60", "-m", "immediate", "-D", data], runAsPostgres).GetAwaiter().GetResult();
            }
        }
        catch (Exception e) when (e is IOException or TimeoutException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Console.Error.WriteLine($"Stopping the test PostgreSQL in {root} failed: {e.Message}");
        }

        try { Directory.Delete(root, recursive: true); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { Console.Error.WriteLine($"Deleting {root} failed: {e.Message}"); }
    }

    // A test host killed with SIGKILL never runs ProcessExit: stop and delete clusters whose owner process is gone.
    private static void ReapAbandonedClusters()
    {
        string[] candidates;
        try { candidates = Directory.GetDirectories(Path.GetTempPath(), DirectoryPrefix + "*"); }
        catch (IOException) { return; }

        foreach (var root in candidates)
        {
            var pidFile = Path.Combine(root, OwnerPidFile);
            if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var ownerPid)) continue;
            if (ownerPid == Environment.ProcessId || ProcessExists(ownerPid)) continue;
            var bin = FindBinaries();
            if (bin is not null) StopCluster(bin, root, CurrentUser.IsRoot());
        }
    }

    private static bool ProcessExists(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    private static async Task<string> FindOrInstallBinariesAsync(bool isRoot)
    {
        if (FindBinaries() is { } found) return found;
        if (!isRoot)
        {
            throw new InvalidOperationException(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) were not found via 'pg_config --bindir' or /usr/lib/postgresql/*/bin, " +
                "and the tests are not running as root, so they cannot install them. Install them first, e.g. 'sudo apt-get install -y postgresql' " +
                "(Debian/Ubuntu) or 'brew install postgresql' (macOS), then run the tests again.");
        }

        var failure = await AptGet.InstallAsync(["postgresql"], () => FindBinaries() is not null);
        if (failure is not null || FindBinaries() is not { } installed)
        {
            throw new InvalidOperationException($"PostgreSQL is not installed and 'apt-get install -y postgresql' failed:\n{failure}");
        }

        return installed;
    }

    private static string? FindBinaries()
    {
        static bool HasServer(string dir) => File.Exists(Path.Combine(dir, "initdb")) && File.Exists(Path.Combine(dir, "pg_ctl"));

        try
        {
            var result = ProcessRunner.Run("pg_config", ["--bindir"], TimeSpan.FromSeconds(30));
            var dir = result.Output.Trim();
            if (result.Succeeded && HasServer(dir)) return dir;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // pg_config is not on PATH; fall through to the Debian layout.
        }

        const string debianRoot = "/usr/lib/postgresql";
        if (!Directory.Exists(debianRoot)) return null;
        return Directory.GetDirectories(debianRoot)
            .Select(d => (Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0, Bin: Path.Combine(d, "bin")))
            .Where(x => HasServer(x.Bin))
            .OrderByDescending(x => x.Version)
            .Select(x => x.Bin)
            .FirstOrDefault();
    }

    private static void EnsureTraversable(string directory)
    {
        if (OperatingSystem.IsWindows()) return;
        for (var dir = new DirectoryInfo(directory); dir is not null; dir = dir.Parent)
        {
            var mode = File.GetUnixFileMode(dir.FullName);
            if (!mode.HasFlag(UnixFileMode.OtherExecute)) File.SetUnixFileMode(dir.FullName, mode | UnixFileMode.OtherExecute);
        }
    }

    /// <summary>A loopback port nobody listens on right now (bound and released at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    // A free port below the kernel's ephemeral range: the ports FreePort hands out are the ones every outgoing
    // connection of this machine draws from, and a client socket of a parallel test process could take one before
    // the cluster binds it. Falls back to FreePort where the range cannot be read (not Linux).
    private static int ClusterPort()
    {
        var low = 32768;
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            low = int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return FreePort();
        }

        const int first = 10000;
        for (var attempt = 0; attempt < 50 && low > first; attempt++)
        {
            var candidate = Random.Shared.Next(first, low);
            try
            {
                using var listener = new TcpListener(IPAddress.Loopback, candidate);
                listener.Start();
                return candidate;
            }
            catch (SocketException)
            {
                // Taken: try another.
            }
        }

        return FreePort();
    }
}
