using DistCron.Sample;

SampleArguments arguments;
try
{
    arguments = SampleArguments.Parse(args);
}
catch (UsageException e)
{
    if (e.Problem is not null) Console.Error.WriteLine(e.Problem);

    Console.Error.WriteLine(SampleArguments.Usage);
    return 2;
}

if (arguments.NodeIndex is null && arguments.Nodes > 1) return await Launcher.RunAsync(arguments);

if (arguments.NodeIndex is null)
{
    Console.WriteLine($"One DistCron node on {(arguments.Postgres is null ? arguments.DatabasePath : "PostgreSQL")}; the sitemap goes to " +
        $"{Path.Combine(Path.GetDirectoryName(arguments.DatabasePath)!, "site", "sitemap.xml")}. Ctrl+C stops it.");
}

return await NodeHost.RunAsync(arguments);
