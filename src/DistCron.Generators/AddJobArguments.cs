using System;
using System.Collections.Generic;
using DistCron.Internal;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;

namespace DistCron.Generators
{
    /// <summary>
    /// The constant arguments of <c>DistCronOptions.AddJob(...)</c>, checked as the attribute's: a job added in code
    /// with a literal schedule, time zone, name, MaxRetries or Misfire gets the same diagnostics, at the argument.
    /// Computed arguments are left to the start-up validation, which words its errors the same way.
    /// </summary>
    internal static class AddJobArguments
    {
        public static void Analyze(IInvocationOperation call, INamedTypeSymbol optionsType, Action<Diagnostic> report)
        {
            var method = call.TargetMethod;
            if (method.Name != "AddJob" || !SymbolEqualityComparer.Default.Equals(method.ContainingType, optionsType)) return;

            string? name = null;
            IArgumentOperation? nameArgument = null;
            foreach (var argument in call.Arguments)
            {
                if (argument.Parameter?.Name == "name" && argument.Value.ConstantValue is { HasValue: true, Value: string constant })
                {
                    name = constant;
                    nameArgument = argument;
                }
            }

            if (nameArgument != null && JobOptionText.NameError(name) is { } nameError)
            {
                report(new JobProblem(DiagnosticDescriptors.InvalidJobName, ProblemSite.Name, -1, JobParser.Shown(name!), nameError, "use " + RuleText.NameRule)
                    .ToDiagnostic(Place(nameArgument), null));
            }

            foreach (var argument in call.Arguments)
            {
                // A default value was not written: nothing to point at, and the defaults are valid.
                if (argument.ArgumentKind == ArgumentKind.DefaultValue || !argument.Value.ConstantValue.HasValue) continue;
                var value = argument.Value.ConstantValue.Value;
                var problems = new List<JobProblem>();
                switch (argument.Parameter?.Name)
                {
                    case "schedule" when value is string schedule:
                        // The name seeds H: without a constant one the schedule is still checked, H included.
                        JobParser.AddScheduleProblems(schedule, name ?? "job", includeWarnings: true, problems);
                        break;
                    case "timeZone" when value is string zone:
                        JobParser.AddTimeZoneProblems(zone, includeWarnings: true, problems);
                        break;
                    case "maxRetries" when value is int retries && retries < 0:
                        problems.Add(new JobProblem(DiagnosticDescriptors.NegativeMaxRetries, ProblemSite.MaxRetries, -1, retries));
                        break;
                    case "misfire" when value is int misfire && misfire != 0 && misfire != 1:
                        problems.Add(new JobProblem(DiagnosticDescriptors.InvalidMisfirePolicy, ProblemSite.Misfire, -1, misfire));
                        break;
                }

                foreach (var problem in problems) report(problem.ToDiagnostic(Place(argument), null));
            }
        }

        // The value as written (the literal), not "name:" before it.
        private static Location Place(IArgumentOperation argument) =>
            (argument.Value is IConversionOperation { IsImplicit: true } conversion ? conversion.Operand : argument.Value).Syntax.GetLocation();
    }
}
