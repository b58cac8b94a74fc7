using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Threading;
using DistCron.Internal;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace DistCron.Generators
{
    /// <summary>Which part of the declaration a problem belongs to; the analyzer turns it into an exact span.</summary>
    internal enum ProblemSite
    {
        Method,

        /// <summary>The whole <c>[DistributedCron(...)]</c> attribute.</summary>
        Attribute,
        Parameter,
        Schedule,
        Name,
        TimeZone,
        Timeout,
        RetryDelay,
        MaxRetries,
        Misfire,
    }

    /// <summary>One thing wrong with a job declaration.</summary>
    internal readonly struct JobProblem
    {
        public JobProblem(DiagnosticDescriptor descriptor, ProblemSite site, int parameterIndex, params object[] arguments)
        {
            Descriptor = descriptor;
            Site = site;
            ParameterIndex = parameterIndex;
            Arguments = arguments;
            Properties = ImmutableDictionary<string, string?>.Empty;
        }

        private JobProblem(JobProblem problem, ImmutableDictionary<string, string?> properties)
            : this(problem.Descriptor, problem.Site, problem.ParameterIndex, problem.Arguments)
        {
            Properties = properties;
        }

        public DiagnosticDescriptor Descriptor { get; }

        public ProblemSite Site { get; }

        /// <summary>For <see cref="ProblemSite.Parameter"/>: which parameter.</summary>
        public int ParameterIndex { get; }

        public object[] Arguments { get; }

        /// <summary>Fix data for DistCron.CodeFixes (keys in <see cref="FixProperties"/>).</summary>
        public ImmutableDictionary<string, string?> Properties { get; }

        /// <summary>This problem with literal replacements a code fix can offer, in order.</summary>
        public JobProblem WithReplacements(IReadOnlyList<TextFix> fixes)
        {
            var properties = Properties;
            for (var i = 0; i < fixes.Count; i++)
            {
                properties = properties
                    .SetItem(FixProperties.ReplacePrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), fixes[i].Replacement)
                    .SetItem(FixProperties.TitlePrefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture), fixes[i].Title);
            }

            return new JobProblem(this, properties);
        }

        /// <summary>This problem with a job name a code fix can add to the attribute.</summary>
        public JobProblem WithNameToAdd(string name) => new JobProblem(this, Properties.SetItem(FixProperties.AddName, name));

        /// <summary>
        /// The diagnostic, with every text argument shown through <see cref="PrintableText"/>: a newline, NUL, NBSP or
        /// bidi character is shown escaped (MSBuild prints a message's first line only), letters of any script are
        /// kept (identifiers), and DistCron's own wording, which has none of these, is unchanged. Values that must
        /// be ASCII are escaped further where they are read (<see cref="JobParser.Shown"/>).
        /// </summary>
        public Diagnostic ToDiagnostic(Location location, Location? attributeLocation)
        {
            var arguments = new object[Arguments.Length];
            for (var i = 0; i < arguments.Length; i++)
            {
                arguments[i] = Arguments[i] is string text ? PrintableText.Printable(text, int.MaxValue, keepLetters: true) : Arguments[i];
            }

            var additional = attributeLocation != null && Properties.ContainsKey(FixProperties.AddName) ? new[] { attributeLocation } : null;
            return Diagnostic.Create(Descriptor, location, additional, Properties, arguments);
        }
    }

    /// <summary>The result of reading one <c>[DistributedCron]</c> method.</summary>
    internal sealed class JobParseOutcome
    {
        public JobParseOutcome(string? name, bool nameIsExplicit, JobModel? model, List<JobProblem> problems)
        {
            Name = name;
            NameIsExplicit = nameIsExplicit;
            Model = model;
            Problems = problems;
        }

        /// <summary>The job's name (explicit or default), or null when the attribute could not be read.</summary>
        public string? Name { get; }

        public bool NameIsExplicit { get; }

        /// <summary>
        /// The job to generate, or null when the attribute could not be read (the compiler reports that). A job with
        /// errors is still a model, a refused one (<see cref="JobModel.BuildError"/>): the runtime refuses it at start-up,
        /// so a build that did not report the errors cannot silently lose the job.
        /// </summary>
        public JobModel? Model { get; }

        public List<JobProblem> Problems { get; }
    }
}
