using DistCron.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace DistCron.Generators.Tests;

/// <summary>
/// Every diagnostic: its ID, severity, exact span and message. An error also means no generated code for the
/// method; a warning leaves generation alone.
/// </summary>
public class DiagnosticTests
{
    private const string Usings = "using System; using System.Threading; using System.Threading.Tasks; using DistCron;\nnamespace T;\n";
    private const string DefaultFix = "write 5 fields (minute hour day-of-month month day-of-week), 6 fields with seconds first, or a macro such as @hourly";

    public static TheoryData<string, string, string> Cases => new()
    {
        // DCRON0001: invalid cron expression, with Cronos's reason and a targeted hint.
        {
            "DCRON0001", """public static class C { [DistributedCron([|"61 * * * *"|])] public static void Job() { } }""",
            "Schedule \"61 * * * *\" is not a valid cron expression: Minutes: Value must be a number between 0 and 59 (all inclusive); " + DefaultFix
        },
        {
            "DCRON0001", """public static class C { [DistributedCron(schedule: [|""|])] public static void Job() { } }""",
            "Schedule \"\" is not a valid cron expression: the schedule is empty; write a cron expression such as \"0 * * * *\" (every hour)"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|null!|])] public static void Job() { } }""",
            "Schedule \"\" is not a valid cron expression: the schedule is empty; write a cron expression such as \"0 * * * *\" (every hour)"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0 0 12 ? * MON *"|])] public static void Job() { } }""",
            "Schedule \"0 0 12 ? * MON *\" is not a valid cron expression: 7 fields is Quartz syntax with a year field, which DistCron does not support; drop the last (year) field; DistCron reads 6 fields as second minute hour day-of-month month day-of-week"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0 0 * * 1-8"|])] public static void Job() { } }""",
            "Schedule \"0 0 * * 1-8\" is not a valid cron expression: Days of week: Value must be a number between 0 and 7 (all inclusive); day-of-week is 0-7 (0 and 7 are Sunday, 1 is Monday) or SUN-SAT; Quartz numbers days 1-7 from Sunday"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"@reboot"|])] public static void Job() { } }""",
            "Schedule \"@reboot\" is not a valid cron expression: @reboot is not a recurring schedule; run start-up work from an IHostedService instead of a cron job"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0 30 9 * * 2025"|])] public static void Job() { } }""",
            "Schedule \"0 30 9 * * 2025\" is not a valid cron expression: Days of week: Value must be a number between 0 and 7 (all inclusive); 6 fields are read seconds first (second minute hour day-of-month month day-of-week); the last field looks like a year, which DistCron does not support: drop it"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0 12 1 JAN * *"|])] public static void Job() { } }""",
            "Schedule \"0 12 1 JAN * *\" is not a valid cron expression: Days of month: Value must be a number between 1 and 31 (all inclusive); 6 fields are read seconds first (second minute hour day-of-month month day-of-week); the first 5 fields alone are a valid minute-first schedule: if that is what you meant, remove the 6th field"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"H(5-1) * * * *"|])] public static void Job() { } }""",
            "Schedule \"H(5-1) * * * *\" is not a valid cron expression: 'H(5-1)' is not a valid H range: expected H(from-to) with 0 <= from <= to <= 59; H takes the forms H, H/step, H(from-to) and H(from-to)/step"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"@fortnightly"|])] public static void Job() { } }""",
            "Schedule \"@fortnightly\" is not a valid cron expression: Macro: Unexpected character 'f' on position 1; known macros: @every_second, @every_minute, @hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"* * *"|])] public static void Job() { } }""",
            "Schedule \"* * *\" is not a valid cron expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (seconds first), found 3; write 5 fields such as \"30 2 * * *\" (02:30 every day), 6 fields such as \"*/10 * * * * *\" (every 10 seconds), or a macro such as @hourly"
        },
        // DCRON0002: never fires.
        {
            "DCRON0002", """public static class C { [DistributedCron([|"0 0 30 2 *"|])] public static void Job() { } }""",
            "Schedule \"0 0 30 2 *\" has no occurrence in any year (a day that no month it allows has), so the job would never run; fix the day-of-month, month or day-of-week field"
        },
        // DCRON0003: unknown time zone, with a spelling suggestion when one is close.
        {
            "DCRON0003", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|"Mars/Olympus_Mons"|])] public static void Job() { } }""",
            "Time zone \"Mars/Olympus_Mons\" is not a known IANA or Windows time zone id; use an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\", or omit TimeZone for UTC"
        },
        {
            "DCRON0003", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|"america/new york"|])] public static void Job() { } }""",
            "Time zone \"america/new york\" is not a known IANA or Windows time zone id; did you mean \"America/New_York\"? Ids use '_' for a space"
        },
        // DCRON0004: duration text.
        {
            "DCRON0004", """public static class C { [DistributedCron("0 * * * *", Timeout = [|"10"|])] public static void Job() { } }""",
            "Timeout \"10\" is not a duration written hh:mm:ss; write it like \"00:05:00\" (five minutes) or \"1.00:00:00\" (one day)"
        },
        {
            "DCRON0004", """public static class C { [DistributedCron("0 * * * *", RetryDelay = [|"00:61:00"|])] public static void Job() { } }""",
            "RetryDelay \"00:61:00\" is not a duration written hh:mm:ss; write it like \"00:05:00\" (five minutes) or \"1.00:00:00\" (one day)"
        },
        // DCRON0005: duration out of range.
        {
            "DCRON0005", """public static class C { [DistributedCron("0 * * * *", Timeout = [|"00:00:00"|])] public static void Job() { } }""",
            "Timeout \"00:00:00\" must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); remove Timeout for no time limit, or write a positive duration such as \"00:05:00\""
        },
        {
            "DCRON0005", """public static class C { [DistributedCron("0 * * * *", RetryDelay = [|"-00:00:05"|])] public static void Job() { } }""",
            "RetryDelay \"-00:00:05\" must be zero or more and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); write a duration such as \"00:00:10\""
        },
        // One tick past the bound (a 50-day timeout made the run's timer throw after its claim).
        {
            "DCRON0005", """public static class C { [DistributedCron("0 * * * *", Timeout = [|"24.00:00:00.0000001"|])] public static void Job() { } }""",
            "Timeout \"24.00:00:00.0000001\" must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); remove Timeout for no time limit, or write a positive duration such as \"00:05:00\""
        },
        {
            "DCRON0005", """public static class C { [DistributedCron("0 * * * *", RetryDelay = [|"24.00:00:00.0000001"|])] public static void Job() { } }""",
            "RetryDelay \"24.00:00:00.0000001\" must be zero or more and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); write a duration such as \"00:00:10\""
        },
        {
            "DCRON0005", """public static class C { [DistributedCron("0 * * * *", Timeout = [|"50.00:00:00"|])] public static void Job() { } }""",
            "Timeout \"50.00:00:00\" must be greater than zero and at most 24.00:00:00 (24 days: longer waits overflow .NET timers); remove Timeout for no time limit, or write a positive duration such as \"00:05:00\""
        },
        // DCRON0006: negative MaxRetries.
        {
            "DCRON0006", """public static class C { [DistributedCron("0 * * * *", MaxRetries = [|-1|])] public static void Job() { } }""",
            "MaxRetries is -1, but it cannot be negative; use 0 for no retries or a positive count"
        },
        // DCRON0007: generic.
        {
            "DCRON0007", """public static class C { [DistributedCron("0 * * * *")] public static void [|Job|]<TItem>() { } }""",
            "Job method 'T.C.Job' is generic; a job is invoked without type arguments, so declare it as a non-generic method of a non-generic type"
        },
        {
            "DCRON0007", """public static class C<TItem> { [DistributedCron("0 * * * *")] public static void [|Job|]() { } }""",
            "Job method 'T.C.Job' is declared in generic type 'T.C<TItem>'; a job is invoked without type arguments, so declare it as a non-generic method of a non-generic type"
        },
        // DCRON0008: not reachable from generated code.
        {
            "DCRON0008", """public static class C { [DistributedCron("0 * * * *")] private static void [|Job|]() { } }""",
            "Job method 'T.C.Job' cannot be called by the generated registration because it is private; make it internal or public"
        },
        {
            "DCRON0008", """public class C { [DistributedCron("0 * * * *")] protected void [|Job|]() { } }""",
            "Job method 'T.C.Job' cannot be called by the generated registration because it is protected; make it internal or public"
        },
        {
            "DCRON0008", """public static class Outer { private static class Inner { [DistributedCron("0 * * * *")] public static void [|Job|]() { } } }""",
            "Job method 'T.Outer.Inner.Job' cannot be called by the generated registration because its containing type 'Inner' is private; make it internal or public"
        },
        {
            "DCRON0008", """file static class C { [DistributedCron("0 * * * *")] public static void [|Job|]() { } }""",
            "Job method 'T.C.Job' cannot be called by the generated registration because its containing type 'C' is file-local; make it internal or public"
        },
        // DCRON0009: parameters.
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(ref int [|count|]) { } }""",
            "Parameter 'count' of job method 'T.C.Job' is passed by reference; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(out int [|count|]) { count = 0; } }""",
            "Parameter 'count' of job method 'T.C.Job' is an out parameter; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(in CancellationToken [|token|]) { } }""",
            "Parameter 'token' of job method 'T.C.Job' is an in parameter; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static unsafe class C { [DistributedCron("0 * * * *")] public static void Job(int* [|data|]) { } }""",
            "Parameter 'data' of job method 'T.C.Job' has a pointer type; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(Span<byte> [|buffer|]) { } }""",
            "Parameter 'buffer' of job method 'T.C.Job' has ref struct type 'System.Span<byte>', which cannot be resolved from dependency injection; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        // DCRON0010: return type.
        {
            "DCRON0010", """public static class C { [DistributedCron("0 * * * *")] public static int [|Job|]() => 0; }""",
            "Job method 'T.C.Job' returns 'int', whose value nobody would read; return void, Task or ValueTask"
        },
        {
            "DCRON0010", """public static class C { [DistributedCron("0 * * * *")] public static Task<int> [|Job|]() => Task.FromResult(0); }""",
            "Job method 'T.C.Job' returns 'System.Threading.Tasks.Task<int>', whose value nobody would read; return void, Task or ValueTask"
        },
        {
            "DCRON0010", """public static class C { [DistributedCron("0 * * * *")] public static async void [|Job|]() => await Task.Yield(); }""",
            "Job method 'T.C.Job' is async void, so its failure or completion cannot be observed; return Task instead"
        },
        // DCRON0012: job names.
        {
            "DCRON0012", """public static class C { [DistributedCron("0 * * * *", Name = [|""|])] public static void Job() { } }""",
            "Job name \"\" is invalid: the job name is empty; use at most 200 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        },
        {
            "DCRON0012", """public static class C { [DistributedCron("0 * * * *", Name = [|"nightly report"|])] public static void Job() { } }""",
            "Job name \"nightly report\" is invalid: the job name contains 'U+0020' at position 8; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed; use at most 200 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        },
        {
            "DCRON0012", """public static class C { [DistributedCron("0 * * * *", Name = [|"x" + "1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890"|])] public static void Job() { } }""",
            "Job name \"x1234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890\" is invalid: the job name is 221 characters long, more than the 200 allowed; use at most 200 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        },
        {
            "DCRON0012", """public static class Café { [DistributedCron("0 * * * *")] public static void [|Job|]() { } }""",
            "Job name \"T.Café.Job\" is invalid: the job name contains 'é' at position 6; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed; the default name is Namespace.Type.Method; set Name explicitly to at most 200 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        },
        // DCRON0013: methods that cannot be jobs.
        {
            "DCRON0013", """public abstract class C { [DistributedCron("0 * * * *")] public abstract void [|Job|](); }""",
            "Method 'T.C.Job' cannot be a job because it is abstract; put [DistributedCron] on the method that implements it"
        },
        {
            "DCRON0013", """public interface IJobs { [DistributedCron("0 * * * *")] void [|Job|](); }""",
            "Method 'T.IJobs.Job' cannot be a job because it is declared in an interface; put [DistributedCron] on a method of a class"
        },
        {
            "DCRON0013", """public abstract class C { [DistributedCron("0 * * * *")] public void [|Job|]() { } }""",
            "Method 'T.C.Job' cannot be a job because it is an instance method of abstract class 'C', which cannot be created for a run; make the method static or move it to a concrete class"
        },
        {
            "DCRON0013", """public static class C { public static void Run() { Local(); [DistributedCron("0 * * * *")] static void [|Local|]() { } } }""",
            "Method 'T.C.Local' cannot be a job because it is a local function; declare it as a method of a class"
        },
        {
            "DCRON0013", """public static class C { public static int P { [DistributedCron("0 * * * *")] [|get|] => 1; } }""",
            "Method 'T.C.P.get' cannot be a job because it is an accessor; declare an ordinary method instead"
        },
        // Shapes whose generated code did not compile, or built and then failed or did nothing at run time.
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(int [|retries|]) { } }""",
            "Parameter 'retries' of job method 'T.C.Job' has type 'int', a value rather than a service, so dependency injection cannot supply it; give it a default value (such as 'int retries = 3') or read it from a service such as IOptions<T>; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(string [|name|]) { } }""",
            "Parameter 'name' of job method 'T.C.Job' has type 'string', a value rather than a service, so dependency injection cannot supply it; give it a default value (such as 'int retries = 3') or read it from a service such as IOptions<T>; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(DayOfWeek? [|day|]) { } }""",
            "Parameter 'day' of job method 'T.C.Job' has type 'System.DayOfWeek?', a value rather than a service, so dependency injection cannot supply it; give it a default value (such as 'int retries = 3') or read it from a service such as IOptions<T>; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(params string[] [|names|]) { } }""",
            "Parameter 'names' of job method 'T.C.Job' is a params parameter, which dependency injection cannot fill; take the service the values come from instead; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job((IServiceProvider, string) [|pair|]) { } }""",
            "Parameter 'pair' of job method 'T.C.Job' has tuple type '(System.IServiceProvider, string)', which is not a service; take a service type, or give the parameter a default value; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0009", """public static class C { [DistributedCron("0 * * * *")] public static void Job(dynamic [|value|]) { } }""",
            "Parameter 'value' of job method 'T.C.Job' has type dynamic, which dependency injection cannot resolve; declare the service's type; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        {
            "DCRON0013", """public ref struct S { [DistributedCron("0 * * * *")] public void [|Job|]() { } }""",
            "Method 'T.S.Job' cannot be a job because it is an instance method of ref struct 'S', which generated code cannot create or hold across an await; make the method static or move it to a class"
        },
        {
            "DCRON0013", """public struct S { [DistributedCron("0 * * * *")] public void [|Job|]() { } }""",
            "Method 'T.S.Job' cannot be a job because it is an instance method of struct 'S', which dependency injection cannot create for a run; make the method static or move it to a class"
        },
        {
            "DCRON0013", """public readonly record struct S(int X) { [DistributedCron("0 * * * *")] public void [|Job|]() { } }""",
            "Method 'T.S.Job' cannot be a job because it is an instance method of struct 'S', which dependency injection cannot create for a run; make the method static or move it to a class"
        },
        {
            "DCRON0013", """public sealed class C { private C() { } internal C(int x) { } [DistributedCron("0 * * * *")] public void [|Job|]() { } }""",
            "Method 'T.C.Job' cannot be a job because it is an instance method of class 'C', which has no public constructor, so dependency injection cannot create it for a run; add a public constructor or make the method static"
        },
        {
            "DCRON0013", """public static class C { [Obsolete("use Other", true)] [DistributedCron("0 * * * *")] public static void [|Job|]() { } }""",
            "Method 'T.C.Job' cannot be a job because it is [Obsolete] with error: true, so the generated registration cannot call it; remove [DistributedCron] from the obsolete method or make the obsolescence a warning"
        },
        {
            "DCRON0013", """[Obsolete("gone", error: true)] public static class C { [DistributedCron("0 * * * *")] public static void [|Job|]() { } }""",
            "Method 'T.C.Job' cannot be a job because it is declared in type 'C', which is [Obsolete] with error: true, so the generated registration cannot name it; move the job or make the obsolescence a warning"
        },
        {
            "DCRON0016", """public static class C { [DistributedCron("0 * * * *")] [System.Diagnostics.Conditional("NIGHTLY")] public static void [|Job|]() { } }""",
            "Job method 'T.C.Job' is [Conditional(\"NIGHTLY\")], so the generated call to it compiles away wherever NIGHTLY is not defined and the job would run without doing anything; remove [Conditional] from the job and call the conditional code from it instead"
        },
        {
            "DCRON0009", """[Obsolete("gone", true)] public sealed class OldStore { } public static class C { [Obsolete("use the new job")] [DistributedCron("0 * * * *")] public static void Job(OldStore [|store|]) { } }""",
            "Parameter 'store' of job method 'T.C.Job' has type 'T.OldStore', which is [Obsolete] with error: true, so the generated registration cannot name it; take a service type that is not obsolete; a job takes a CancellationToken, a JobContext or services resolved from dependency injection, all passed by value"
        },
        // DCRON0014: misfire value.
        {
            "DCRON0014", """public static class C { [DistributedCron("0 * * * *", Misfire = [|(MisfirePolicy)5|])] public static void Job() { } }""",
            "Misfire value 5 is not a defined MisfirePolicy; use MisfirePolicy.RunOnce or MisfirePolicy.Skip"
        },
        // DCRON0015: Quartz day-of-week numbering.
        {
            "DCRON0015", """public static class C { [DistributedCron([|"0 0 12 ? * 2-6"|])] public static void Job() { } }""",
            "Schedule \"0 0 12 ? * 2-6\" is written Quartz-style ('?' for day-of-month) with numeric days of week, but DistCron counts 0 or 7 = Sunday, 1 = Monday, ... 6 = Saturday where Quartz counts 1 = Sunday (here 2-6 is TUE-SAT; in Quartz it is MON-FRI); write day names such as MON-FRI to say which days you mean"
        },
        // Quartz numbering without the seconds field.
        {
            "DCRON0015", """public static class C { [DistributedCron([|"0 12 ? * 2-6"|])] public static void Job() { } }""",
            "Schedule \"0 12 ? * 2-6\" is written Quartz-style ('?' for day-of-month) with numeric days of week, but DistCron counts 0 or 7 = Sunday, 1 = Monday, ... 6 = Saturday where Quartz counts 1 = Sunday (here 2-6 is TUE-SAT; in Quartz it is MON-FRI); write day names such as MON-FRI to say which days you mean"
        },
        {
            "DCRON0015", """public static class C { [DistributedCron([|"0 9 ? * 2#1"|])] public static void Job() { } }""",
            "Schedule \"0 9 ? * 2#1\" is written Quartz-style ('?' for day-of-month) with numeric days of week, but DistCron counts 0 or 7 = Sunday, 1 = Monday, ... 6 = Saturday where Quartz counts 1 = Sunday (here 2#1 is TUE#1; in Quartz it is MON#1); write day names such as MON-FRI to say which days you mean"
        },
        // DCRON0018: an empty or malformed time zone, which the runtime refuses at start-up on every host.
        {
            "DCRON0018", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|""|])] public static void Job() { } }""",
            "Time zone \"\" is empty, and the runtime refuses it at start-up on every host; omit TimeZone (or write \"UTC\") for UTC, or write an IANA id such as \"Europe/Paris\" or a Windows id such as \"Romance Standard Time\""
        },
        {
            "DCRON0018", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|" \t"|])] public static void Job() { } }""",
            "Time zone \" \\u0009\" is empty, and the runtime refuses it at start-up on every host; omit TimeZone (or write \"UTC\") for UTC, or write an IANA id such as \"Europe/Paris\" or a Windows id such as \"Romance Standard Time\""
        },
        // DCRON0019: day-of-month and day-of-week both restricted (Cronos ANDs them, classic crontab ORs them).
        {
            "DCRON0019", """public static class C { [DistributedCron([|"0 0 1 * 1"|])] public static void Job() { } }""",
            "Schedule \"0 0 1 * 1\" restricts both day-of-month (1) and day-of-week (1): DistCron, like Cronos, runs it only on days that match both, where classic crontab runs it on days that match either; to run on days that match either, declare two jobs, \"0 0 1 * *\" and \"0 0 * * 1\"; to run only on days that match both, keep it and suppress DCRON0019 (for the n-th weekday of a month, day-of-week DAY#n with day-of-month * says it without ambiguity)"
        },
        {
            "DCRON0019", """public static class C { [DistributedCron([|"30 0 9 1-7 * MON"|])] public static void Job() { } }""",
            "Schedule \"30 0 9 1-7 * MON\" restricts both day-of-month (1-7) and day-of-week (MON): DistCron, like Cronos, runs it only on days that match both, where classic crontab runs it on days that match either; to run on days that match either, declare two jobs, \"30 0 9 1-7 * *\" and \"30 0 9 * * MON\"; to run only on days that match both, keep it and suppress DCRON0019 (for the n-th weekday of a month, day-of-week DAY#n with day-of-month * says it without ambiguity)"
        },
        // User text in messages is escaped (MSBuild shows a message's first line only).
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0 0 * *\n*"|])] public static void Job() { } }""",
            "Schedule \"0 0 * *\\u000a*\" is not a valid cron expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (seconds first), found 4; write 5 fields such as \"30 2 * * *\" (02:30 every day), 6 fields such as \"*/10 * * * * *\" (every 10 seconds), or a macro such as @hourly"
        },
        {
            "DCRON0001", """public static class C { [DistributedCron([|"0\u00a00 * * *"|])] public static void Job() { } }""",
            "Schedule \"0\\u00a00 * * *\" is not a valid cron expression: expected 5 fields (minute hour day-of-month month day-of-week) or 6 fields (seconds first), found 4; write 5 fields such as \"30 2 * * *\" (02:30 every day), 6 fields such as \"*/10 * * * * *\" (every 10 seconds), or a macro such as @hourly"
        },
        {
            "DCRON0018", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|"Europe/Paris\0"|])] public static void Job() { } }""",
            "Time zone \"Europe/Paris\\u0000\" contains the control or invisible character \\u0000, and the runtime refuses it at start-up on every host; omit TimeZone (or write \"UTC\") for UTC, or write an IANA id such as \"Europe/Paris\" or a Windows id such as \"Romance Standard Time\""
        },
        {
            "DCRON0018", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|"Europe/\u2028Paris"|])] public static void Job() { } }""",
            "Time zone \"Europe/\\u2028Paris\" contains the control or invisible character \\u2028, and the runtime refuses it at start-up on every host; omit TimeZone (or write \"UTC\") for UTC, or write an IANA id such as \"Europe/Paris\" or a Windows id such as \"Romance Standard Time\""
        },
        {
            "DCRON0003", """public static class C { [DistributedCron("0 * * * *", TimeZone = [|"Eur\u043epe/Paris"|])] public static void Job() { } }""",
            "Time zone \"Eur\\u043epe/Paris\" is not a known IANA or Windows time zone id; use an IANA id such as \"Europe/Paris\", a Windows id such as \"Romance Standard Time\", or omit TimeZone for UTC"
        },
        {
            "DCRON0012", """public static class C { [DistributedCron("0 * * * *", Name = [|"report\u200b"|])] public static void Job() { } }""",
            "Job name \"report\\u200b\" is invalid: the job name contains '\\u200b' at position 7; only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed; use at most 200 characters from A-Z, a-z, 0-9, '.', '_', ':' and '-'"
        },
        // The names a user wrote, not metadata names.
        {
            "DCRON0013", """public static class C { public static Action A = [|[DistributedCron("0 * * * *")] () => { }|]; }""",
            "Method 'lambda expression at File0.cs(3,50)' cannot be a job because it is a lambda; declare it as a method of a class"
        },
        {
            "DCRON0013", """public class C { [DistributedCron("0 * * * *")] public static C operator [|+|](C a, C b) => a; }""",
            "Method 'T.C.operator +' cannot be a job because it is not an ordinary method; declare an ordinary method instead"
        },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Reports_the_diagnostic_on_the_exact_span_with_an_actionable_message(string id, string markup, string message)
    {
        var code = Markup.Parse(Usings + markup);
        var compilation = TestCompilation.Create("Diag", code.Source);
        Assert.DoesNotContain(compilation.GetDiagnostics(), d => d.Severity == DiagnosticSeverity.Error);

        var diagnostic = Assert.Single(await TestCompilation.AnalyzeAsync(compilation));
        Assert.Equal(id, diagnostic.Id);
        Assert.Equal(message, diagnostic.GetMessage());
        Assert.Equal(code.Span, diagnostic.Location.SourceSpan);
        Assert.Equal($"https://github.com/distcron/distcron/blob/main/docs/diagnostics/{id}.md", diagnostic.Descriptor.HelpLinkUri);

        // An error means no invoker, but never a silently missing job: the generated file still compiles and holds a
        // refused definition that stops the host at start with this exact diagnostic, whatever the build reported.
        var (result, output) = TestCompilation.Generate(compilation);
        var generated = TestCompilation.GeneratedText(result);
        Assert.NotNull(generated);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        var refusal = StartUp.Refusal(StartUp.Definitions(output));
        if (diagnostic.Severity == DiagnosticSeverity.Error)
        {
            Assert.DoesNotContain("Invoke0(", generated);
            var failure = Assert.Single(refusal!);
            Assert.Contains($": {id}: {message}", failure);
        }
        else
        {
            Assert.Contains("Invoke0(", generated);
            Assert.DoesNotContain(refusal ?? new List<string>(), f => f.Contains("DCRON", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Duplicate_names_are_reported_on_every_declaration_and_refused_at_start()
    {
        var compilation = TestCompilation.Create("Diag",
            Usings + """
            public static class A
            {
                [DistributedCron("0 * * * *", Name = "report")] public static void First() { }
                [DistributedCron("0 1 * * *")] public static void Unique() { }
            }
            """,
            Usings + """
            public static class B { [DistributedCron("5 * * * *", Name = "report")] public static void Second() { } }
            public static class C { [DistributedCron("9 * * * *", Name = "T.A.Unique")] public static void Third() { } }
            """);

        var diagnostics = await TestCompilation.AnalyzeAsync(compilation);
        Assert.All(diagnostics, d => Assert.Equal("DCRON0011", d.Id));
        Assert.Equal(
            new[]
            {
                "Diag/File0.cs: \"report\": Job name \"report\" is declared 2 times in this assembly (A.First, B.Second); give each job a unique Name",
                "Diag/File0.cs: Unique: Job name \"T.A.Unique\" is declared 2 times in this assembly (A.Unique, C.Third); give each job a unique Name",
                "Diag/File1.cs: \"report\": Job name \"report\" is declared 2 times in this assembly (A.First, B.Second); give each job a unique Name",
                "Diag/File1.cs: \"T.A.Unique\": Job name \"T.A.Unique\" is declared 2 times in this assembly (A.Unique, C.Third); give each job a unique Name",
            },
            diagnostics.Select(d => $"{Path.GetFileName(Path.GetDirectoryName(d.Location.SourceTree!.FilePath))}/{Path.GetFileName(d.Location.SourceTree.FilePath)}: {d.Location.SourceTree.GetText().ToString(d.Location.SourceSpan)}: {d.GetMessage()}"));

        // All four are generated (none silently left out), and the host refuses to start with the duplicates.
        var (_, output) = TestCompilation.Generate(compilation);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        var definitions = StartUp.Definitions(output);
        Assert.Equal(new[] { "report", "report", "T.A.Unique", "T.A.Unique" }, definitions.Select(d => d.Name).OrderBy(n => n == "report" ? 0 : 1));
        Assert.Equal(
            new[]
            {
                "DistCron job name 'T.A.Unique' is declared 2 times (T.A.Unique, T.C.Third); job names must be unique across all assemblies: set Name on one of the [DistributedCron] attributes.",
                "DistCron job name 'report' is declared 2 times (T.A.First, T.B.Second); job names must be unique across all assemblies: set Name on one of the [DistributedCron] attributes.",
            },
            StartUp.Refusal(definitions)!.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Methods_in_generated_files_are_reported_too()
    {
        // The generator sees [DistributedCron] methods in generated files, so the analyzer must not skip them.
        var tree = Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(
            "// <auto-generated/>\n" + Usings + "public static class C { [DistributedCron(\"61 * * * *\")] public static void Job() { } }",
            TestCompilation.ParseOptions, "/src/Other.g.cs");
        var compilation = TestCompilation.Create("Diag").AddSyntaxTrees(tree);
        Assert.Equal("DCRON0001", Assert.Single(await TestCompilation.AnalyzeAsync(compilation)).Id);
    }

    [Fact]
    public async Task The_longest_legal_durations_pass_and_the_generated_job_carries_them()
    {
        // The bound is JobOptionText.MaxDuration, shared with the start-up validation; one tick more is DCRON0005 (Cases).
        var compilation = TestCompilation.Create("Diag", Usings + """
            public static class C { [DistributedCron("0 * * * *", Timeout = "24.00:00:00", RetryDelay = "24.00:00:00")] public static void Job() { } }
            """);
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));
        var generated = TestCompilation.GeneratedText(TestCompilation.Generate(compilation).Result);
        Assert.NotNull(generated);
        Assert.Contains(TimeSpan.FromDays(24).Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture), generated);
    }

    [Fact]
    public async Task Every_descriptor_is_tested_documented_and_tracked()
    {
        var analyzer = new DistCronAnalyzer();
        // The generator reports DCRON0017 itself (see LanguageVersionTests); its descriptor comes from a real report.
        var generatorOnly = LanguageVersionTests.ReportedDiagnostic().Descriptor;
        // So does it DCRON0021-0022, found in appsettings files (AppSettingsDiagnosticTests).
        var configurationOnly = AppSettings.Diagnostics("""{ "DistCron": { "Jobs": { "nope": { "Schedul": "x" } } } }""")
            .Select(d => d.Descriptor).OrderBy(d => d.Id).ToList();
        Assert.Equal(["DCRON0021", "DCRON0022"], configurationOnly.Select(d => d.Id));
        var descriptors = analyzer.SupportedDiagnostics.Append(generatorOnly).Concat(configurationOnly).ToList();
        var ids = descriptors.Select(d => d.Id).ToList();
        Assert.Equal(Enumerable.Range(1, ids.Count).Select(i => $"DCRON{i:0000}"), ids.Order());
        var tested = Cases.Select(c => (string)c[0]).Append("DCRON0011").Append("DCRON0020").Append(generatorOnly.Id).Append("DCRON0021").Append("DCRON0022").ToHashSet();
        var root = RepositoryRoot();
        var unshipped = await File.ReadAllTextAsync(Path.Combine(root, "src", "DistCron.Generators", "AnalyzerReleases.Unshipped.md"));
        var index = await File.ReadAllTextAsync(Path.Combine(root, "docs", "diagnostics", "README.md"));
        foreach (var descriptor in descriptors)
        {
            Assert.Contains($"[{descriptor.Id}]({descriptor.Id}.md)", index);
            Assert.Contains(descriptor.Id, tested);
            var page = Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md");
            Assert.True(File.Exists(page), $"{page} is missing");
            Assert.StartsWith($"# {descriptor.Id}: {descriptor.Title}", await File.ReadAllTextAsync(page));
            Assert.Contains($"{descriptor.Id} | {descriptor.Category} | {descriptor.DefaultSeverity} | {descriptor.Title}", unshipped);
        }
    }

    [Fact]
    public async Task A_large_valid_file_has_no_diagnostics_and_generates_every_job()
    {
        var source = new System.Text.StringBuilder(Usings);
        source.AppendLine("public interface IClock { DateTimeOffset Now { get; } }");
        var schedules = new[] { "0 * * * *", "*/15 * * * * *", "@hourly", "@every_second", "0 0 L * *", "0 9 * * MON-FRI", "0 0 1W * *", "0 0 * * 5#3", "H H * * *", "30 H(0-5) * * 1-5", "0 0 29 2 *", "0 12 * * 7" };
        var zones = new[] { "UTC", "Europe/Paris", "America/New_York", "Tokyo Standard Time", "Etc/GMT+5", "US/Eastern" };
        for (var i = 0; i < 60; i++)
        {
            var schedule = schedules[i % schedules.Length];
            var zone = zones[i % zones.Length];
            source.AppendLine($$"""
                public sealed class Jobs{{i}}
                {
                    [DistributedCron("{{schedule}}", TimeZone = "{{zone}}", Timeout = "00:0{{i % 10}}:30", RetryDelay = "00:00:{{i % 60:00}}", MaxRetries = {{i % 4}}, Misfire = MisfirePolicy.{{(i % 2 == 0 ? "Skip" : "RunOnce")}})]
                    public async Task RunAsync(IClock clock, JobContext context, CancellationToken cancellationToken) => await Task.Delay(1, cancellationToken);

                    [DistributedCron("{{schedule}}", Name = "static:{{i}}")]
                    internal static ValueTask Static{{i}}(IServiceProvider services) => default;
                }
                """);
        }

        var compilation = TestCompilation.Create("Large", source.ToString());
        Assert.Empty(await TestCompilation.AnalyzeAsync(compilation));
        var (result, output) = TestCompilation.Generate(compilation);
        Assert.Empty(TestCompilation.CompilerProblems(output));
        // One row per job in the generated definitions table.
        Assert.Equal(120, System.Text.RegularExpressions.Regex.Matches(TestCompilation.GeneratedText(result)!, "^ +Job\\(\"", System.Text.RegularExpressions.RegexOptions.Multiline).Count);
    }

    internal static string RepositoryRoot([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(path)!, "..", ".."));
}
