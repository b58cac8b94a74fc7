using System.Collections.Concurrent;
using DistCron.Hosting;
using DistCron.Internal;
using DistCron.Storage;
using DistCron.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace DistCron.Tests.Engine;

/// <summary>Options validation, DI registration, node ids and store outages at startup.</summary>
public sealed class EngineHostingTests : EngineTestBase
{
    protected override EngineStoreFactory CreateStoreFactory() => new SqliteEngineStoreFactory();

    private static readonly JobDefinition Valid = Job("valid", "* * * * *", (_, _) => Task.CompletedTask);

    [Fact]
    public async Task Invalid_options_stop_the_start_with_every_problem_named()
    {
        var host = BuildNode([Valid], o =>
        {
            o.PollInterval = TimeSpan.Zero;
            o.LeaseDuration = TimeSpan.FromSeconds(10);
            o.HeartbeatInterval = TimeSpan.FromSeconds(5);
            o.Schema = "Bad-Schema";
            o.App = "has space";
            o.NodeId = "bad id";
            o.MaxConcurrentJobs = 0;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var message = string.Join("\n", error.Failures);
        Assert.Contains("DistCron PollInterval (00:00:00) must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers).", message);
        Assert.Contains("HeartbeatInterval (00:00:05) must be less than half of LeaseDuration (00:00:10)", message);
        Assert.Contains("The DistCron schema name 'Bad-Schema' is invalid", message);
        Assert.Contains("The DistCron application name 'has space' is invalid", message);
        Assert.Contains("DistCron NodeId must be 1-200 characters", message);
        Assert.Contains("DistCron MaxConcurrentJobs (0) must be between 1 and 10000.", message);
        Assert.DoesNotContain("(Parameter", message);
        Assert.False(File.Exists(((SqliteEngineStoreFactory)Store).Path), "nothing touched the database");
    }

    [Theory]
    [InlineData("schema", "distcron; DROP TABLE jobs; --")]
    [InlineData("schema", "dist\"cron")]
    [InlineData("schema", "distcr\u043en")]      // Cyrillic 'o' that looks like a Latin one
    [InlineData("schema", "distcron\u200b")]     // zero-width space
    [InlineData("app", "billing'; DELETE FROM distcron.jobs; --")]
    [InlineData("app", "billing\u202egnp.exe")]  // right-to-left override
    [InlineData("app", "bill\ning")]             // a forged log line
    public async Task Hostile_names_that_would_reach_sql_are_rejected_at_start_and_shown_escaped(string setting, string value)
    {
        var host = BuildNode([Valid], o =>
        {
            if (setting == "schema") o.Schema = value; else o.App = value;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var failure = Assert.Single(error.Failures);
        Assert.Contains(setting == "schema" ? "schema name" : "application name", failure);
        // Control, invisible and look-alike characters are shown as \uXXXX escapes: the message cannot forge a log line.
        Assert.All(failure, c => Assert.True(c is >= ' ' and <= '~' or '\u2026', $"unescaped character U+{(int)c:X4} in the message"));
        Assert.False(File.Exists(((SqliteEngineStoreFactory)Store).Path), "nothing touched the database");
    }

    [Fact]
    public async Task Bad_job_definitions_are_reported_with_their_names()
    {
        var host = BuildNode(
        [
            Job("dup", "* * * * *", (_, _) => Task.CompletedTask),
            Job("dup", "0 * * * *", (_, _) => Task.CompletedTask),
            Job("quartz", "0 0 12 ? * MON *", (_, _) => Task.CompletedTask),
            Job("zone", "* * * * *", (_, _) => Task.CompletedTask, timeZone: "Nowhere/Land"),
            Job("bad name!", "* * * * *", (_, _) => Task.CompletedTask),
            Job("limits", "* * * * *", (_, _) => Task.CompletedTask, timeout: TimeSpan.Zero, retryDelay: TimeSpan.FromSeconds(-1), maxRetries: -1),
        ]);

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        var message = string.Join("\n", error.Failures);
        Assert.Contains("DistCron job name 'dup' is declared 2 times (DistCron.Tests.Engine.Jobs.dup (2 attributes))", message);
        Assert.Contains("DistCron job 'quartz' (DistCron.Tests.Engine.Jobs.quartz): schedule \"0 0 12 ? * MON *\" is not a valid cron expression: ", message);
        Assert.Contains("drop the last (year) field", message);
        Assert.Contains("DistCron job 'zone' (DistCron.Tests.Engine.Jobs.zone): time zone \"Nowhere/Land\" is not a known IANA or Windows time zone id; use an IANA id such as \"Europe/Paris\"", message);
        Assert.Contains("DistCron job 'bad name!' (DistCron.Tests.Engine.Jobs.bad name!): job name \"bad name!\" is invalid: the job name contains 'U+0020' at position 4; only A-Z", message);
        Assert.Contains("'limits' (DistCron.Tests.Engine.Jobs.limits): Timeout (00:00:00) must be greater than zero", message);
        Assert.Contains("'limits' (DistCron.Tests.Engine.Jobs.limits): RetryDelay (-00:00:01) must be zero or more", message);
        Assert.Contains("'limits' (DistCron.Tests.Engine.Jobs.limits): MaxRetries is -1, but it cannot be negative; use 0 for no retries or a positive count.", message);
    }

    [Fact]
    public void Hand_written_definitions_are_held_to_the_analyzer_rules_in_its_words()
    {
        static JobDefinition Raw(string name, string schedule, CronFormat format = CronFormat.Standard, string timeZone = "UTC", MisfirePolicy misfire = MisfirePolicy.RunOnce) =>
            new(name, schedule, format, timeZone, misfire, null, null, 0, "hash", "Raw.Type", "Method", (_, _, _) => ValueTask.CompletedTask);

        var longName = new string('a', JobOptionText.MaxNameLength + 1);
        var result = new DistCronOptionsValidator().Validate(null, new DistCronOptions().AddJobs(
        [
            Raw("has space", "* * * * *"),
            Raw(longName, "* * * * *"),
            Raw("bad-cron", "61 * * * *"),
            Raw("seconds-mismatch", "*/10 * * * * *", CronFormat.Standard),
            Raw("no-seconds-mismatch", "* * * * *", CronFormat.IncludeSeconds),
            Raw("spaced-zone", "* * * * *", timeZone: "America/New York"),
            Raw("nul-zone", "* * * * *", timeZone: "Europe/Paris\0"),
            Raw("misfire", "* * * * *", misfire: (MisfirePolicy)7),
        ]));

        var message = result.FailureMessage;
        // Name rules and wording come from the code the analyzer uses (DCRON0012).
        Assert.Contains($"DistCron job 'has space' (Raw.Type.Method): job name \"has space\" is invalid: {JobOptionText.NameError("has space")}; use at most 200 characters", message);
        Assert.Contains(JobOptionText.NameError(longName)!, message);
        // Schedules are parsed by the analyzer's parser and reported in the words of DCRON0001.
        Assert.Contains($"DistCron job 'bad-cron' (Raw.Type.Method): schedule \"61 * * * *\" is not a valid cron expression: {ScheduleText.Parse("61 * * * *", "bad-cron").Error}", message);
        Assert.Contains("DistCron job 'seconds-mismatch' (Raw.Type.Method): Format is Standard but schedule \"*/10 * * * * *\" has a seconds field; use CronFormat.IncludeSeconds.", message);
        Assert.Contains("DistCron job 'no-seconds-mismatch' (Raw.Type.Method): Format is IncludeSeconds but schedule \"* * * * *\" has no seconds field; use CronFormat.Standard.", message);
        // Time zones get the analyzer's suggestion (DCRON0003), from the same table of ids.
        Assert.Contains("DistCron job 'spaced-zone' (Raw.Type.Method): time zone \"America/New York\" is not a known IANA or Windows time zone id; did you mean \"America/New_York\"? Ids use '_' for a space.", message);
        // Linux would open "Europe/Paris\0" as Europe/Paris (and PostgreSQL cannot store the NUL): refused, as by DCRON0018.
        Assert.Contains("DistCron job 'nul-zone' (Raw.Type.Method): time zone \"Europe/Paris\\u0000\" contains the control or invisible character \\u0000, which no host accepts (DCRON0018)", message);
        Assert.Contains("DistCron job 'misfire' (Raw.Type.Method): Misfire value 7 is not a defined MisfirePolicy; use MisfirePolicy.RunOnce or MisfirePolicy.Skip.", message);
    }

    [Fact]
    public void Everything_the_attribute_accepts_passes_startup_validation()
    {
        // RetryDelay "00:00:00" is valid in the attribute (it means the default delay), so the generated definition
        // must start; so must macros, H, seconds, Windows ids and Skip.
        var result = new DistCronOptionsValidator().Validate(null, new DistCronOptions().AddJobs(
        [
            Job("zero-delay", "* * * * *", (_, _) => Task.CompletedTask, retryDelay: TimeSpan.Zero, maxRetries: 3),
            Job("macro", "@hourly", (_, _) => Task.CompletedTask),
            Job("hashed", "H H * * *", (_, _) => Task.CompletedTask),
            Job("seconds", "*/10 * * * * *", (_, _) => Task.CompletedTask, misfire: MisfirePolicy.Skip),
            Job("windows-zone", "0 9 * * MON-FRI", (_, _) => Task.CompletedTask, timeZone: "Romance Standard Time", timeout: TimeSpan.FromMinutes(5)),
            Job("iana-zone", "0 9 * * *", (_, _) => Task.CompletedTask, timeZone: "Europe/Paris"),
        ]));
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Hand_written_definitions_with_empty_required_values_are_rejected()
    {
        var definition = new JobDefinition("raw", "* * * * *", CronFormat.Standard, null!, MisfirePolicy.RunOnce, null, null, 0, "",
            "Raw.Type", "Method", (_, _, _) => ValueTask.CompletedTask);
        var result = new DistCronOptionsValidator().Validate(null, new DistCronOptions().AddJobs([definition]));
        Assert.Contains("DistCron job 'raw' (Raw.Type.Method): TimeZone is empty", result.FailureMessage);
        Assert.Contains("DistCron job 'raw' (Raw.Type.Method): DefinitionHash is empty", result.FailureMessage);
    }

    [Fact]
    public void Default_options_and_valid_jobs_pass_validation()
    {
        var result = new DistCronOptionsValidator().Validate(null, new DistCronOptions().AddJobs([Valid]));
        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public async Task Secrets_never_appear_in_validation_messages()
    {
        var host = BuildNode([Valid], o =>
        {
            o.UsePostgres("Host=db.invalid;Username=app;Password=hunter2-secret;Database=jobs");
            o.PollInterval = TimeSpan.Zero;
        });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.DoesNotContain("hunter2", error.Message);
        Assert.DoesNotContain(Logs.Entries, e => e.Message.Contains("hunter2") || (e.Exception?.ToString().Contains("hunter2") ?? false));
    }

    [Fact]
    public async Task AddDistCron_without_configuration_uses_the_default_sqlite_file_and_registers_once()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddDistCron();
        services.AddDistCron(o => o.App = "other");
        Assert.Single(services, d => d.ServiceType == typeof(IHostedService));
        Assert.Equal("distcron.db", DistCronOptions.DefaultSqlitePath);

        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IJobStore>();
        Assert.IsType<SqliteJobStore>(store);
        Assert.Equal("other", provider.GetRequiredService<IOptions<DistCronOptions>>().Value.App);
    }

    [Fact]
    public async Task Each_host_gets_its_own_node_id_and_an_override_is_used_as_given()
    {
        var nodes = new ConcurrentQueue<string>();
        var job = Job("who", "* * * * * *", (ctx, _) => { nodes.Enqueue(ctx.NodeId); return Task.CompletedTask; });
        var a = BuildNode([job]);
        var b = BuildNode([job]);
        var idA = a.Services.GetServices<IHostedService>().OfType<DistCronHostedService>().Single().NodeId;
        var idB = b.Services.GetServices<IHostedService>().OfType<DistCronHostedService>().Single().NodeId;
        Assert.NotEqual(idA, idB);
        Assert.Matches($"-{Environment.ProcessId}-[a-z0-9]{{6}}$", idA);

        await StartNodeAsync([job], o => o.NodeId = "fixed-node.1");
        await WaitUntilAsync(async () => (await HistoryAsync("who")).Count > 0, "the run is recorded");
        Assert.Equal("fixed-node.1", nodes.First());
        Assert.Equal("fixed-node.1", (await HistoryAsync("who")).First().NodeId);
    }

    [Fact]
    public async Task Store_unavailable_at_start_is_retried_with_warnings_and_the_node_recovers()
    {
        var path = ((SqliteEngineStoreFactory)Store).Path;
        Directory.CreateDirectory(path); // a directory where the database file should be: every open fails
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await StartNodeAsync([Job("patient", "* * * * * *", (_, _) => { ran.TrySetResult(); return Task.CompletedTask; })]);

        await WaitUntilAsync(() => Logs.Has(11), "the outage is logged");
        Assert.Contains(Logs.Entries, e => e.EventId.Id == 11 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning && e.Message.Contains("during startup"));
        Directory.Delete(path);

        await WithinDeadline(ran.Task.ContinueWith(_ => true), "the job to run once the store is back");
        Assert.True(Logs.Has(12), "the recovery is logged");
    }

    [Fact]
    public async Task Node_without_jobs_starts_and_stops_without_touching_the_store()
    {
        var host = await StartNodeAsync([]);
        await host.StopAsync(TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(((SqliteEngineStoreFactory)Store).Path));
    }
}
