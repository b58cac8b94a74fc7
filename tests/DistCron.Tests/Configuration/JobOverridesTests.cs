using DistCron.Configuration;
using DistCron.Hosting;
using DistCron.Internal;

namespace DistCron.Tests.Configuration;

/// <summary>Overrides applied to declared definitions: effective values, definition hash, and errors naming the key.</summary>
public sealed class JobOverridesTests
{
    private static JobDefinition Declared(string name = "sitemap.regenerate", string schedule = "0 * * * *", string zone = "UTC") =>
        new(name, schedule, CronFormat.Standard, zone, MisfirePolicy.RunOnce, null, null, 0,
            StableHash.DefinitionWithDurations(name, schedule, zone, 0, null, null, 0), "App.Jobs", "Regenerate", (_, _, _) => default);

    private static (IReadOnlyList<JobDefinition> Jobs, List<string> Errors) Apply(JobDefinition job, string name, JobOverride entry)
    {
        entry.ConfigurationPath ??= "DistCron:Jobs:" + name;
        var errors = new List<string>();
        return (JobOverrides.Apply([job], new Dictionary<string, JobOverride> { [name] = entry }, errors), errors);
    }

    [Fact]
    public void An_override_changes_the_definition_and_its_hash_to_what_the_attribute_would_have()
    {
        var (jobs, errors) = Apply(Declared(), "sitemap.regenerate", new JobOverride
        {
            Schedule = "*/10 * * * * *", TimeZone = "Europe/Paris", Timeout = TimeSpan.FromMinutes(5), RetryDelay = TimeSpan.FromSeconds(30),
            MaxRetries = 2, Misfire = MisfirePolicy.Skip,
        });

        Assert.Empty(errors);
        var job = Assert.Single(jobs);
        Assert.Equal(("*/10 * * * * *", CronFormat.IncludeSeconds, "Europe/Paris"), (job.Schedule, job.Format, job.TimeZone));
        Assert.Equal((TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 2, MisfirePolicy.Skip), (job.Timeout!.Value, job.RetryDelay!.Value, job.MaxRetries, job.Misfire));
        // The hash the generator would emit for an attribute with these values: equal definitions, equal hashes.
        Assert.Equal(StableHash.DefinitionWithDurations("sitemap.regenerate", "*/10 * * * * *", "Europe/Paris", 1, TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(30), 2), job.DefinitionHash);
        Assert.False(job.Disabled);
        Assert.Equal(["DistCron:Jobs:sitemap.regenerate:Schedule", "DistCron:Jobs:sitemap.regenerate:TimeZone", "DistCron:Jobs:sitemap.regenerate:Timeout",
            "DistCron:Jobs:sitemap.regenerate:RetryDelay", "DistCron:Jobs:sitemap.regenerate:MaxRetries", "DistCron:Jobs:sitemap.regenerate:Misfire"], job.OverriddenBy);
        Assert.Same(Declared().Invoker.Method, job.Invoker.Method);
    }

    [Fact]
    public void An_override_that_repeats_the_attribute_keeps_the_hash_so_nothing_is_reseeded()
    {
        var declared = Declared();
        var (jobs, errors) = Apply(declared, "sitemap.regenerate", new JobOverride { Schedule = "0 * * * *", TimeZone = "UTC", MaxRetries = 0 });
        Assert.Empty(errors);
        Assert.Equal(declared.DefinitionHash, Assert.Single(jobs).DefinitionHash);
    }

    [Fact]
    public void Disabling_changes_the_hash_and_enabling_again_restores_it()
    {
        var declared = Declared();
        var disabled = Assert.Single(Apply(declared, "sitemap.regenerate", new JobOverride { Enabled = false }).Jobs);
        Assert.True(disabled.Disabled);
        Assert.Equal(declared.DefinitionHash + JobDefinition.DisabledHashSuffix, disabled.DefinitionHash);

        var enabled = Assert.Single(Apply(declared, "sitemap.regenerate", new JobOverride { Enabled = true }).Jobs);
        Assert.False(enabled.Disabled);
        Assert.Equal(declared.DefinitionHash, enabled.DefinitionHash);
    }

    [Fact]
    public void An_empty_override_leaves_the_definition_as_declared()
    {
        var declared = Declared();
        Assert.Same(declared, Assert.Single(Apply(declared, "sitemap.regenerate", new JobOverride()).Jobs));
    }

    // The words of start-up validation of a declared job (the analyzer's, from the shared rule texts), behind the key.
    [Theory]
    [InlineData("Schedule", "61 * * * *")]
    [InlineData("Schedule", "every hour")]
    [InlineData("TimeZone", "Europe/Pariss")]
    [InlineData("TimeZone", "Europe")]
    public void An_invalid_value_is_reported_at_its_key_in_the_words_of_the_declared_jobs_validation(string setting, string value)
    {
        var entry = setting == "Schedule" ? new JobOverride { Schedule = value } : new JobOverride { TimeZone = value };
        var (jobs, errors) = Apply(Declared(), "sitemap.regenerate", entry);

        var declaredWithValue = setting == "Schedule" ? Declared(schedule: value) : Declared(zone: value);
        var validation = new DistCronOptionsValidator().Validate(null, new DistCronOptions().AddJobs([declaredWithValue]));
        var declaredError = Assert.Single(validation.Failures!);
        var rule = declaredError[(declaredError.IndexOf("): ", StringComparison.Ordinal) + 3)..];

        Assert.Equal($"DistCron:Jobs:sitemap.regenerate:{setting}: {rule}", Assert.Single(errors));
        Assert.Equal(Declared().DefinitionHash, Assert.Single(jobs).DefinitionHash); // the declared definition stays
    }

    [Fact]
    public void Durations_beyond_the_timer_limit_and_negative_retries_are_reported_at_their_keys()
    {
        var (_, errors) = Apply(Declared(), "a.job", new JobOverride());
        Assert.Single(errors); // "a.job" is not declared: see below

        (_, errors) = Apply(Declared(), "sitemap.regenerate", new JobOverride
        {
            Timeout = TimeSpan.FromDays(50), RetryDelay = TimeSpan.FromSeconds(-1), MaxRetries = -1, Misfire = (MisfirePolicy)7,
        });
        Assert.Collection(errors,
            e => Assert.StartsWith("DistCron:Jobs:sitemap.regenerate:Timeout: Timeout (50.00:00:00) must be greater than zero and at most 24.00:00:00", e),
            e => Assert.StartsWith("DistCron:Jobs:sitemap.regenerate:RetryDelay: RetryDelay (-00:00:01) must be zero or more", e),
            e => Assert.StartsWith("DistCron:Jobs:sitemap.regenerate:MaxRetries: ", e),
            e => Assert.StartsWith("DistCron:Jobs:sitemap.regenerate:Misfire: ", e));
    }

    [Fact]
    public void An_override_for_a_job_no_code_declares_names_the_close_job_names()
    {
        var errors = new List<string>();
        JobOverrides.Apply([Declared("sitemap.regenerate"), Declared("sitemap.upload"), Declared("reports.daily")],
            new Dictionary<string, JobOverride> { ["sitemap.regenrate"] = new() { Schedule = "@daily", ConfigurationPath = "DistCron:Jobs:sitemap.regenrate" } }, errors);
        Assert.Equal("DistCron:Jobs:sitemap.regenrate: no job named \"sitemap.regenrate\" is declared; did you mean \"sitemap.regenerate\"?", Assert.Single(errors));

        errors.Clear();
        JobOverrides.Apply([Declared("reports.daily")],
            new Dictionary<string, JobOverride> { ["billing"] = new() { Enabled = false } }, errors);
        Assert.Equal("DistCronOptions.Jobs[\"billing\"]: no job named \"billing\" is declared; the jobs are \"reports.daily\".", Assert.Single(errors));
    }

    [Fact]
    public void Start_up_validation_reports_override_and_configuration_errors()
    {
        var options = new DistCronOptions().AddJobs([Declared()]);
        options.Jobs["sitemap.regenerate"] = new JobOverride { Schedule = "* * *" };
        options.ConfigurationErrors.Add("DistCron:PolInterval: is not a DistCron setting; did you mean PollInterval?");
        var result = new DistCronOptionsValidator().Validate(null, options);
        Assert.Equal(2, result.Failures!.Count());
        Assert.Contains(result.Failures!, f => f.StartsWith("DistCron:PolInterval:", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("DistCronOptions.Jobs[\"sitemap.regenerate\"].Schedule: schedule \"* * *\"", StringComparison.Ordinal));
    }
}
