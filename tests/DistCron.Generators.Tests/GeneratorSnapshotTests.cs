using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace DistCron.Generators.Tests;

/// <summary>The generated file, case by case, against committed snapshots; each output must also compile cleanly.</summary>
public class GeneratorSnapshotTests
{
    [Fact]
    public void Static_sync_method()
    {
        Verify("App", "StaticSync", """
            using DistCron;

            namespace App.Maintenance;

            public static class Cleanup
            {
                [DistributedCron("0 3 * * *")]
                public static void PurgeExpiredSessions() { }
            }
            """);
    }

    [Fact]
    public void Method_with_several_schedules()
    {
        Verify("App", "SeveralSchedules", """
            using System.Threading;
            using System.Threading.Tasks;
            using DistCron;

            namespace App.Reports;

            internal sealed class Digest
            {
                [DistributedCron("0 7 * * MON-FRI", Name = "digest.weekday", TimeZone = "Europe/Paris")]
                [DistributedCron("0 9 * * SAT,SUN", Name = "digest.weekend", TimeZone = "Europe/Paris", Misfire = MisfirePolicy.Skip)]
                [DistributedCron("*/30 * * * * *", Name = "digest.preview", Timeout = "00:00:20")]
                public Task SendAsync(JobContext context, CancellationToken cancellationToken) => Task.CompletedTask;
            }
            """);
    }

    [Fact]
    public void Instance_async_method_with_service_token_and_context()
    {
        Verify("App", "InstanceAsync", """
            using System.Threading;
            using System.Threading.Tasks;
            using DistCron;

            namespace App.Billing;

            public interface IInvoiceStore { Task CloseMonthAsync(CancellationToken cancellationToken); }

            internal sealed class InvoiceJobs
            {
                [DistributedCron("0 0 1 * *", Name = "billing.close-month")]
                public async Task CloseMonthAsync(IInvoiceStore store, CancellationToken cancellationToken, JobContext context)
                {
                    await store.CloseMonthAsync(cancellationToken);
                }
            }
            """);
    }

    [Fact]
    public void ValueTask_method_and_disposable_instances()
    {
        Verify("App", "ValueTaskAndDisposal", """
            using System;
            using System.Threading;
            using System.Threading.Tasks;
            using DistCron;

            namespace App;

            public sealed class Probe : IDisposable
            {
                [DistributedCron("*/5 * * * *")]
                public ValueTask PingAsync(CancellationToken cancellationToken) => default;

                public void Dispose() { }
            }

            public sealed class Exporter : IAsyncDisposable
            {
                [DistributedCron("@hourly")]
                public void Export(IServiceProvider services) { }

                public ValueTask DisposeAsync() => default;
            }
            """);
    }

    [Fact]
    public void Seconds_time_zone_and_every_option()
    {
        Verify("App", "AllOptions", """
            using System.Threading.Tasks;
            using DistCron;

            namespace App;

            public static class Reports
            {
                [DistributedCron("30 0 9 * * MON-FRI", Name = "reports:morning", TimeZone = "Europe/Paris", Misfire = MisfirePolicy.Skip,
                    Timeout = "00:05:00", RetryDelay = "00:00:30", MaxRetries = 3)]
                public static Task MorningAsync() => Task.CompletedTask;

                [DistributedCron("H H(0-5) * * *", TimeZone = "Romance Standard Time")]
                public static void Nightly() { }
            }
            """);
    }

    [Fact]
    public void Several_classes_nested_types_global_namespace_and_escaped_names()
    {
        Verify("My.App-Jobs", "ManyShapes", """
            using DistCron;

            public static class GlobalJobs
            {
                [DistributedCron("@daily")]
                public static void Tick() { }
            }

            namespace @namespace
            {
                public static class @class
                {
                    [DistributedCron("0 * * * *")]
                    public static void @event() { }

                    internal static class Inner
                    {
                        [DistributedCron("15 * * * *", Name = "nested:return")]
                        internal static void @return() { }
                    }
                }

                public static class Other
                {
                    [DistributedCron("@every_second")]
                    public static void Fast() { }

                    [DistributedCron("not a cron")]
                    public static void Broken() { }
                }
            }
            """, allowAnalyzerErrors: true, expectRefused: "Broken");
    }

    [Fact]
    public void Parameter_sources_keywords_and_a_refused_job()
    {
        // Nullable type arguments kept, T? through GetService, defaults as declared, '@' before contextual keywords,
        // and an invalid job as a refused row (no invoker).
        Verify("App", "ParameterSources", """
            using System;
            using System.Collections.Generic;
            using System.Threading.Tasks;
            using DistCron;

            namespace App.@async;

            public interface IClock { }

            public struct Gauge { }

            public static class Jobs
            {
                [DistributedCron("0 * * * *")]
                public static Task @await(List<string?> names, IClock? clock, Gauge? gauge, int retries = 3, string label = "x", DayOfWeek day = DayOfWeek.Monday, IClock? fallback = null) => Task.CompletedTask;

                [DistributedCron("0 * * * *")]
                public static void NeedsRetries(int retries) { }
            }
            """, allowAnalyzerErrors: true, expectRefused: "NeedsRetries");
    }

    private static void Verify(string assemblyName, string snapshot, string source, bool allowAnalyzerErrors = false, string? expectRefused = null)
    {
        var compilation = TestCompilation.Create(assemblyName, source);
        Assert.Empty(TestCompilation.CompilerProblems(compilation));
        var (result, output) = TestCompilation.Generate(compilation);
        var text = TestCompilation.GeneratedText(result);
        Assert.NotNull(text);
        Assert.Equal("DistCron.Jobs.g.cs", Path.GetFileName(result.Results.Single().GeneratedSources.Single().HintName));
        Assert.Empty(TestCompilation.CompilerProblems(output));
        if (expectRefused != null)
        {
            // An invalid job gets no invoker (no call to it), only a row the runtime refuses at start-up.
            Assert.DoesNotContain("." + expectRefused + "(", text);
            Assert.Contains("." + expectRefused + "\", \"", text);
            Assert.Contains("Refused(", text);
        }

        if (!allowAnalyzerErrors)
        {
            Assert.DoesNotContain(TestCompilation.AnalyzeAsync(compilation).Result, d => d.Severity == DiagnosticSeverity.Error);
        }

        Snapshot.Verify(text!, snapshot);
    }
}
