using DistCron.Dashboard.Html;

namespace DistCron.Dashboard.Pages;

/// <summary>
/// What the job page and the nodes page show of the code behind a job and a node: where the job is declared, the
/// options its stored definition was built from, and each node's versions. Read from the store, so the standalone
/// dashboard (no job code loaded) shows them too; rows written by an older DistCron show "unknown".
/// </summary>
internal static class DefinitionBlock
{
    private const string Unknown = "unknown";

    /// <summary>The job page's definition section.</summary>
    public static void Write(HtmlBuilder h, JobRow job)
    {
        h.Add($"""<section id="definition" aria-labelledby="definition-title"><h2 id="definition-title">Definition</h2><dl class="facts">""");
        var facts = job.Definition;
        if (facts is null)
        {
            h.Add($"""<dt>Declared by</dt><dd class="empty">{Unknown} (written by an older DistCron or a tool; a current node fills it in when it starts)</dd>""");
        }
        else if (facts.IsAddedInCode)
        {
            h.Add($"""<dt>Declared by</dt><dd>registered in code with <code>DistCronOptions.AddJob</code></dd>""");
        }
        else
        {
            h.Add($"""<dt>Declared by</dt><dd><code>{facts.DeclaringType}.{facts.MethodName}</code></dd>""");
        }

        h.Add($"""<dt>Schedule</dt><dd><code>{job.Schedule}</code>""");
        if (facts is not null) h.Add($""" ({FormatName(facts.Format)})""");
        h.Add($"""</dd><dt>Time zone</dt><dd>{job.TimeZone}</dd>""");
        h.Add($"""<dt>Misfire policy</dt><dd>{(facts is null ? Unknown : facts.Misfire.ToString())}</dd>""");
        h.Add($"""<dt>Timeout</dt><dd>{(facts is null ? Unknown : facts.Timeout is { } timeout ? Format.Span(timeout) : "none")}</dd>""");
        h.Add($"""<dt>Retry delay</dt><dd>{(facts is null ? Unknown : facts.RetryDelay is { } delay ? Format.Span(delay) : "default")}</dd>""");
        h.Add($"""<dt>Max retries</dt><dd>{(facts is null ? Unknown : facts.MaxRetries.ToString(System.Globalization.CultureInfo.InvariantCulture))}</dd>""");
        h.Add($"""<dt>Enabled</dt><dd>{(job.Disabled ? "no (disabled by configuration)" : "yes")}</dd>""");
        h.Add($"""<dt>From configuration</dt><dd>""");
        if (facts is null) h.Add($"""{Unknown}""");
        else if (facts.OverriddenBy.Count == 0) h.Add($"""no: the declaration's own values""");
        else foreach (var key in facts.OverriddenBy) h.Add($"""<code class="chip">{key}</code> """);
        h.Add($"""</dd><dt>Deployment version</dt><dd>{(job.DefinitionVersion is { } version ? version.ToString(System.Globalization.CultureInfo.InvariantCulture) : "none")}</dd>""");
        h.Add($"""<dt>Definition hash</dt><dd><code>{job.DefinitionHash}</code></dd></dl></section>""");
    }

    /// <summary>A node's versions, for the nodes table: library, deployment, runtime.</summary>
    public static void NodeVersion(HtmlBuilder h, NodeRow node)
    {
        if (node.LibraryVersion is null && node.DeploymentVersion is null && node.Runtime is null)
        {
            h.Add($"""<span class="empty">{Unknown}</span>""");
            return;
        }

        h.Add($"""DistCron {node.LibraryVersion ?? Unknown}""");
        if (node.DeploymentVersion is { } deployment) h.Add($"""<br>deployment {deployment}""");
        if (node.Runtime is not null) h.Add($"""<br><span class="age">{node.Runtime}</span>""");
    }

    private static string FormatName(CronFormat format) => format == CronFormat.IncludeSeconds ? "six fields, seconds first" : "five fields";
}
