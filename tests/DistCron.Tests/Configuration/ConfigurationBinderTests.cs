using System.Text;
using DistCron.Configuration;
using Microsoft.Extensions.Configuration;

namespace DistCron.Tests.Configuration;

/// <summary>
/// The <c>DistCron</c> section read key by key: every setting DistCron has, and an error naming the key (with the
/// close names) for every key it does not know or value it cannot read.
/// </summary>
public sealed class ConfigurationBinderTests
{
    private static DistCronOptions Bind(string json)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var options = new DistCronOptions();
        DistCronConfigurationBinder.Bind(options, configuration.GetSection("DistCron"));
        return options;
    }

    [Fact]
    public void Every_setting_is_read()
    {
        var options = Bind("""
            { "DistCron": {
                "App": "shop", "Schema": "cron", "NodeId": "node-1", "PollInterval": "00:00:02", "LeaseDuration": "00:01:00",
                "HeartbeatInterval": "00:00:20", "ShutdownTimeout": "00:00:15", "MaxConcurrentJobs": 4, "MisfireThreshold": "00:05:00",
                "AutoMigrate": false, "DeploymentVersion": 202612060001,
                "HistoryRetention": { "Enabled": true, "MaxAge": "7.00:00:00", "MaxRunsPerJob": 50, "Interval": "00:30:00", "BatchSize": 100 },
                "Jobs": { "sitemap.regenerate": { "Schedule": "*/5 * * * *", "TimeZone": "Europe/Paris", "Enabled": false,
                    "Timeout": "00:10:00", "RetryDelay": "00:00:30", "MaxRetries": 3, "Misfire": "skip" } } } }
            """);

        Assert.Empty(options.ConfigurationErrors);
        Assert.Equal(("shop", "cron", "node-1"), (options.App, options.Schema, options.NodeId));
        Assert.Equal(TimeSpan.FromSeconds(2), options.PollInterval);
        Assert.Equal(TimeSpan.FromMinutes(1), options.LeaseDuration);
        Assert.Equal(TimeSpan.FromSeconds(20), options.HeartbeatInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), options.ShutdownTimeout);
        Assert.Equal(4, options.MaxConcurrentJobs);
        Assert.Equal(TimeSpan.FromMinutes(5), options.MisfireThreshold);
        Assert.False(options.AutoMigrate);
        Assert.Equal(202612060001, options.DeploymentVersion);
        Assert.Equal(TimeSpan.FromDays(7), options.HistoryRetention.MaxAge);
        Assert.Equal(50, options.HistoryRetention.MaxRunsPerJob);
        Assert.Equal(TimeSpan.FromMinutes(30), options.HistoryRetention.Interval);
        Assert.Equal(100, options.HistoryRetention.BatchSize);

        var job = options.Jobs["sitemap.regenerate"];
        Assert.Equal("*/5 * * * *", job.Schedule);
        Assert.Equal("Europe/Paris", job.TimeZone);
        Assert.False(job.Enabled);
        Assert.Equal(TimeSpan.FromMinutes(10), job.Timeout);
        Assert.Equal(TimeSpan.FromSeconds(30), job.RetryDelay);
        Assert.Equal(3, job.MaxRetries);
        Assert.Equal(MisfirePolicy.Skip, job.Misfire);
        Assert.Equal("DistCron:Jobs:sitemap.regenerate", job.ConfigurationPath);
    }

    [Fact]
    public void Null_clears_the_nullable_retention_limits()
    {
        var options = Bind("""{ "DistCron": { "HistoryRetention": { "MaxAge": null, "MaxRunsPerJob": "" } } }""");
        Assert.Empty(options.ConfigurationErrors);
        Assert.Null(options.HistoryRetention.MaxAge);
        Assert.Null(options.HistoryRetention.MaxRunsPerJob);
    }

    [Fact]
    public void Keys_are_case_insensitive_like_all_configuration()
    {
        var options = Bind("""{ "distcron": { "pollinterval": "00:00:03", "jobs": { "a": { "schedule": "@daily" } } } }""");
        Assert.Empty(options.ConfigurationErrors);
        Assert.Equal(TimeSpan.FromSeconds(3), options.PollInterval);
        Assert.Equal("@daily", options.Jobs["a"].Schedule);
    }

    [Theory]
    [InlineData("""{ "DistCron": { "PolInterval": "00:00:03" } }""", "DistCron:PolInterval: is not a DistCron setting; did you mean PollInterval?")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": { "Schedul": "* * * * *" } } } }""", "DistCron:Jobs:a:Schedul: is not a DistCron setting; did you mean Schedule?")]
    [InlineData("""{ "DistCron": { "HistoryRetention": { "MaxRuns": 5 } } }""", "DistCron:HistoryRetention:MaxRuns: is not a DistCron setting; the settings here are Enabled, MaxAge, MaxRunsPerJob, Interval, BatchSize.")]
    [InlineData("""{ "DistCron": { "PollInterval": "5" } }""", "DistCron:PollInterval: '5' is not a duration written hh:mm:ss.")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": { "Timeout": "10s" } } } }""", "DistCron:Jobs:a:Timeout: '10s' is not a duration written hh:mm:ss.")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": { "MaxRetries": "three" } } } }""", "DistCron:Jobs:a:MaxRetries: 'three' is not a whole number.")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": { "Enabled": "no" } } } }""", "DistCron:Jobs:a:Enabled: 'no' is not true or false.")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": { "Misfire": "1" } } } }""", "DistCron:Jobs:a:Misfire: '1' is not a misfire policy; use RunOnce, Skip.")]
    [InlineData("""{ "DistCron": { "Jobs": { "a": "0 * * * *" } } }""", "DistCron:Jobs:a: expected a section of Schedule, TimeZone, Enabled, Timeout, RetryDelay, MaxRetries, Misfire, found the value \"0 * * * *\".")]
    [InlineData("""{ "DistCron": { "App": { "Name": "x" } } }""", "DistCron:App: expected a value, found a section.")]
    public void A_key_or_value_it_cannot_read_is_an_error_naming_the_key(string json, string error)
    {
        var options = Bind(json);
        Assert.Equal(error, Assert.Single(options.ConfigurationErrors));
    }
}
