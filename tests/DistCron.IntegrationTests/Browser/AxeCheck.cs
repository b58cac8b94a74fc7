using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace DistCron.Tests.Browser;

/// <summary>
/// Runs axe-core (vendored in axe/, served by the test host from the dashboard's own origin) on the page as it is,
/// and fails on every serious or critical violation with its rule, impact, targets and help URL.
/// </summary>
internal static class AxeCheck
{
    public static async Task AssertNoSeriousViolationsAsync(IPage page, Uri origin)
    {
        // Same origin, so the dashboard's script-src 'self' admits it: no BypassCSP, the policy stays on while checking.
        await page.AddScriptTagAsync(new PageAddScriptTagOptions { Url = new Uri(origin, DashboardSite.Axe).ToString() });
        var json = await page.EvaluateAsync<string>("""
            async () => {
              const results = await axe.run(document, { resultTypes: ["violations"] });
              return JSON.stringify(results.violations
                .filter(v => v.impact === "serious" || v.impact === "critical")
                .map(v => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, targets: v.nodes.map(n => n.target.join(" ")) })));
            }
            """);
        var violations = JsonSerializer.Deserialize<List<Violation>>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        if (violations.Count == 0) return;

        var report = new StringBuilder($"axe-core found {violations.Count} serious or critical violation(s) on {page.Url}:\n");
        foreach (var v in violations)
        {
            report.Append(System.Globalization.CultureInfo.InvariantCulture, $"- {v.Id} ({v.Impact}): {v.Help}\n  {v.HelpUrl}\n");
            foreach (var target in v.Targets) report.Append(System.Globalization.CultureInfo.InvariantCulture, $"  at {target}\n");
        }

        throw new Xunit.Sdk.XunitException(report.ToString());
    }

    private sealed record Violation(string Id, string Impact, string Help, string HelpUrl, List<string> Targets);
}
