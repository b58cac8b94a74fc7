namespace DistCron.Generators
{
    // Replaced by the generator (Parser, Emitter, DiagnosticDescriptors) in the build-time work.
    internal static class Placeholder
    {
    }
}
