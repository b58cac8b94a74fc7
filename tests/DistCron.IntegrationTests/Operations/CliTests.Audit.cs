using System.Text.Json;
using DistCron.Storage;

namespace DistCron.Tests.Operations;

// pause --reason --until, trigger --reason, and 'distcron audit': the actor is the OS user who ran the command.
public abstract partial class CliTests
{
    [Fact]
    public async Task Pause_with_a_reason_and_an_end_is_audited_under_the_os_user()
    {
        var before = await Store.GetDatabaseTimeAsync(Ct);

        var paused = await RunAsync("pause", "nightly", "--reason", "disk full on host-a", "--until", "2h", "--json");
        Assert.True(paused.Succeeded, paused.Output);
        var job = Json(paused).GetProperty("job");
        Assert.Equal("disk full on host-a", job.GetProperty("pauseReason").GetString());
        Assert.InRange(job.GetProperty("pauseUntil").GetDateTimeOffset(), before.AddHours(2).AddSeconds(-5), before.AddHours(2).AddMinutes(2));
        var row = (await Store.ListJobsAsync(App, Ct)).Single(j => j.Name == "nightly");
        Assert.True(row.Paused);

        Assert.True((await RunAsync("trigger", "every5", "--reason", "rerun")).Succeeded);
        Assert.False((await RunAsync("pause", "every5", "--until", "yesterday")).Succeeded); // refused while parsing

        var audit = await RunAsync("audit", "--json");
        Assert.True(audit.Succeeded, audit.Output);
        var root = Json(audit);
        AssertEnvelope(root, "audit", before);
        var rows = root.GetProperty("audit").EnumerateArray().Where(a => a.GetProperty("actor").GetString() == Environment.UserName).ToList();
        Assert.Equal(["trigger", "pause"], rows.Select(a => a.GetProperty("action").GetString()));
        Assert.Equal("rerun", rows[0].GetProperty("reason").GetString());
        Assert.Equal("every5", rows[0].GetProperty("job").GetString());
        Assert.Equal(JsonValueKind.String, rows[1].GetProperty("pauseUntil").ValueKind);

        var text = await RunAsync("audit", "nightly");
        Assert.True(text.Succeeded, text.Output);
        Assert.Contains("disk full on host-a", text.Output);
        Assert.DoesNotContain("rerun", text.Output);
    }
}
