using System.Globalization;
using DistCron.Bench;

CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;

// One executable, two roles: the harness (default) and a node process it starts ("node distcron|quartz ...").
if (args.Length > 0 && args[0] == "node") return await NodeMain.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "dashboard") return await DashboardBench.RunAsync(args[1..]);
if (args.Length > 0 && args[0] == "dashboard-idle") return await DashboardIdleBench.RunAsync(args[1..]);
try
{
    return await Harness.RunAsync(args);
}
catch (Exception) when (Interrupt.Stopping)
{
    // The signal handler is stopping everything and ends the process with the signal's exit code.
    await Task.Delay(Timeout.Infinite);
    return 1;
}
