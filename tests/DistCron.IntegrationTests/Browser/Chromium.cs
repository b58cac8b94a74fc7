using DistCron.Tests.Infrastructure;
using Microsoft.Playwright;

namespace DistCron.Tests.Browser;

/// <summary>
/// One headless Debian chromium for every browser test class (its start is the slow part), driven by Playwright's
/// .NET driver. Playwright's own browser download cannot work on these machines: the tests never run
/// `playwright install` and point Playwright at the system browser instead, installed with apt-get when missing as
/// PostgreSQL is. Each test opens its own context (cookies, headers and storage of its own) on this browser.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    public const string ExecutablePath = "/usr/bin/chromium";

    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await EnsureInstalledAsync();
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ExecutablePath,
            Headless = true,
            // Test machines and CI run as root, where chromium refuses to start with its sandbox; /dev/shm may be small
            // in containers.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null) await Browser.DisposeAsync();
        _playwright?.Dispose();
    }

    // A fresh CI machine has no chromium. A failed install fails every browser test with apt-get's output: never a skip.
    private static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath)) return;
        if (!OperatingSystem.IsLinux() || !CurrentUser.IsRoot())
        {
            throw new InvalidOperationException($"The dashboard's browser tests need Debian's chromium at {ExecutablePath}, and the tests are not running " +
                "as root, so they cannot install it. Install it first, e.g. 'sudo apt-get install -y chromium', then run the tests again.");
        }

        var failure = await AptGet.InstallAsync(["chromium"], () => File.Exists(ExecutablePath));
        if (failure is not null)
        {
            throw new InvalidOperationException($"chromium is not installed and 'apt-get install -y chromium' failed:\n{failure}");
        }
    }
}
