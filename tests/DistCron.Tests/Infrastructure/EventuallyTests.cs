namespace DistCron.Tests.Infrastructure;

public sealed class EventuallyTests
{
    [Fact]
    public async Task Returns_once_the_condition_holds_after_polling_it_again()
    {
        var calls = 0;
        await Eventually.TrueAsync(() => ++calls == 3, "the third call");
        Assert.Equal(3, calls);
    }

    [Fact]
    public async Task Fails_after_the_deadline_naming_what_it_waited_for()
    {
        var calls = 0;
        var error = await Assert.ThrowsAsync<TimeoutException>(() =>
            Eventually.TrueAsync(() => { calls++; return Task.FromResult(false); }, "the node seeded its job", TimeSpan.FromMilliseconds(200)));

        Assert.Contains("the node seeded its job", error.Message);
        Assert.Contains("0.2 s", error.Message);
        Assert.True(calls > 1, "the condition is polled again until the deadline");
    }

    [Fact]
    public async Task An_exception_from_the_condition_propagates_at_once()
    {
        Func<bool> failing = () => throw new InvalidOperationException("store down");
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Eventually.TrueAsync(failing, "anything"));
        Assert.Equal("store down", error.Message);
    }
}
