using DistCron.Storage;

// The test projects' root namespace, so every test sees these without a using.
namespace DistCron.Tests;

/// <summary>
/// Claims of named jobs only, sent in the one shape production uses: a node claims every job of its app except an
/// exclusion list (<see cref="ClaimRequest.ExcludedNames"/>), and here that list is every other job the app has.
/// The stores have no "only these names" claim of their own, so every claim a test sends runs the statement a node runs.
/// </summary>
/// <remarks>
/// The app's jobs are read just before the claim: a job seeded between the read and the claim is not excluded. Tests
/// that seed concurrently with their claims name every job of the app, or claim in the production shape directly.
/// </remarks>
internal static class ClaimShapes
{
    /// <summary>Claims up to <paramref name="maxJobs"/> due jobs among <paramref name="jobNames"/>, without touching the node's registration.</summary>
    public static Task<ClaimBatch> ClaimDueAsync(this IJobStore store, string app, string nodeId, IReadOnlyCollection<string> jobNames,
        int maxJobs, TimeSpan lease, CancellationToken cancellationToken) =>
        store.ClaimDueAsync(new ClaimRequest(app, nodeId, maxJobs, lease), jobNames, cancellationToken);

    /// <summary>Sends <paramref name="request"/> with every job of its app not in <paramref name="jobNames"/> added to its exclusions.</summary>
    public static async Task<ClaimBatch> ClaimDueAsync(this IJobStore store, ClaimRequest request, IReadOnlyCollection<string> jobNames,
        CancellationToken cancellationToken)
    {
        var only = jobNames.ToHashSet(StringComparer.Ordinal);
        var others = (await store.ListJobsAsync(request.App, cancellationToken)).Select(j => j.Name).Where(n => !only.Contains(n));
        return await store.ClaimDueAsync(request with { ExcludedNames = [.. request.ExcludedNames, .. others] }, cancellationToken);
    }
}
