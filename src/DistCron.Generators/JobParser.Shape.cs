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
    // The method itself: kind, genericity, reachability, return type and the declaring type's constructor.
    internal static partial class JobParser
    {
        private readonly struct Shape
        {
            public Shape(string declaringTypeName, InstanceDisposal disposal, ReturnKind returnKind, EquatableArray<ParameterModel> parameters)
            {
                DeclaringTypeName = declaringTypeName;
                Disposal = disposal;
                ReturnKind = returnKind;
                Parameters = parameters;
            }

            public string DeclaringTypeName { get; }
            public InstanceDisposal Disposal { get; }
            public ReturnKind ReturnKind { get; }
            public EquatableArray<ParameterModel> Parameters { get; }
        }

        // Everything about the method itself: kind, genericity, reachability, parameters, return type.
        private static Shape? ReadShape(IMethodSymbol method, string display, List<JobProblem> problems)
        {
            var before = problems.Count;
            var type = method.ContainingType;
            var kindReason = KindProblem(method);
            if (kindReason != null || type is null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.MethodCannotBeJob, ProblemSite.Method, -1, display, kindReason ?? "is not declared in a type"));
                return null;
            }

            var condition = ConditionalSymbol(method);
            if (condition != null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.ConditionalJobMethod, ProblemSite.Method, -1, display, condition));
            }

            if (method.IsGenericMethod)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.GenericJobMethod, ProblemSite.Method, -1, display, "is generic"));
            }
            else
            {
                for (var t = type; t != null; t = t.ContainingType)
                {
                    if (t.TypeParameters.Length > 0)
                    {
                        problems.Add(new JobProblem(DiagnosticDescriptors.GenericJobMethod, ProblemSite.Method, -1, display,
                            $"is declared in generic type '{t.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}'"));
                        break;
                    }
                }
            }

            var unreachable = UnreachableReason(method);
            if (unreachable != null)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.JobMethodNotAccessible, ProblemSite.Method, -1, display, unreachable));
            }

            var parameters = new ParameterModel[method.Parameters.Length];
            for (var i = 0; i < method.Parameters.Length; i++)
            {
                var parameter = method.Parameters[i];
                var reason = ParameterProblem(parameter);
                if (reason != null)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedParameter, ProblemSite.Parameter, i, parameter.Name, display, reason));
                    continue;
                }

                var argument = ReadParameter(parameter);
                if (argument is null)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedParameter, ProblemSite.Parameter, i, parameter.Name, display,
                        "has a default value that generated code cannot reproduce; remove the default or take a service instead"));
                    continue;
                }

                parameters[i] = argument;
            }

            var returnKind = ReturnKind.Void;
            if (method.ReturnsVoid)
            {
                if (method.IsAsync)
                {
                    problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                        "is async void, so its failure or completion cannot be observed; return Task instead"));
                }
            }
            else if (method.ReturnsByRef || method.ReturnsByRefReadonly)
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                    "returns by reference; return void, Task or ValueTask"));
            }
            else if (IsType(method.ReturnType, "Task", "Tasks", "Threading", "System"))
            {
                returnKind = ReturnKind.Task;
            }
            else if (IsType(method.ReturnType, "ValueTask", "Tasks", "Threading", "System"))
            {
                returnKind = ReturnKind.ValueTask;
            }
            else
            {
                problems.Add(new JobProblem(DiagnosticDescriptors.UnsupportedReturnType, ProblemSite.Method, -1, display,
                    $"returns '{method.ReturnType.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', whose value nobody would read; return void, Task or ValueTask"));
            }

            if (problems.Count != before)
            {
                return null;
            }

            var disposal = InstanceDisposal.None;
            if (!method.IsStatic && type.TypeKind == TypeKind.Class)
            {
                foreach (var implemented in type.AllInterfaces)
                {
                    if (IsType(implemented, "IAsyncDisposable", "System")) disposal = InstanceDisposal.DisposeAsync;
                    else if (IsType(implemented, "IDisposable", "System") && disposal == InstanceDisposal.None) disposal = InstanceDisposal.Dispose;
                }
            }

            return new Shape(TypeName(type), disposal, returnKind, new EquatableArray<ParameterModel>(parameters));
        }

        /// <summary>
        /// global::-qualified, with nullable annotations (a <c>List&lt;string?&gt;</c> parameter must be asked for as
        /// such, or the call is CS8620 under nullable warnings), keywords escaped.
        /// </summary>
        private static readonly SymbolDisplayFormat TypeFormat = SymbolDisplayFormat.FullyQualifiedFormat
            .AddMiscellaneousOptions(SymbolDisplayMiscellaneousOptions.IncludeNullableReferenceTypeModifier);

        /// <summary>A type name for generated code; also escapes contextual keywords (a type named 'await').</summary>
        public static string TypeName(ITypeSymbol type) => EscapeContextualKeywords(type.ToDisplayString(TypeFormat));

        // SymbolDisplay escapes reserved keywords only. An identifier that is a contextual keyword ('await' in an async
        // invoker, 'record', 'file') gets an '@' too: '@' always means the identifier. The alias in "global::" stays.
        private static string EscapeContextualKeywords(string display)
        {
            var result = new StringBuilder(display.Length + 4);
            var i = 0;
            while (i < display.Length)
            {
                if (!IsIdentifierPart(display[i]))
                {
                    result.Append(display[i++]);
                    continue;
                }

                var start = i;
                while (i < display.Length && IsIdentifierPart(display[i])) i++;
                var word = display.Substring(start, i - start);
                var isAlias = i + 1 < display.Length && display[i] == ':' && display[i + 1] == ':';
                if (!isAlias && word[0] != '@' && !char.IsDigit(word[0]) && SyntaxFacts.GetContextualKeywordKind(word) != SyntaxKind.None)
                {
                    result.Append('@');
                }

                result.Append(word);
            }

            return result.ToString();
        }

        private static bool IsIdentifierPart(char c) => char.IsLetterOrDigit(c) || c == '_' || c == '@';

        /// <summary>
        /// True for the non-generic type <paramref name="name"/> in the namespace given innermost first
        /// ("Tasks", "Threading", "System"). Cheaper than comparing display strings, which the generator would pay
        /// for every job on every compilation change.
        /// </summary>
        private static bool IsType(ITypeSymbol type, string name, params string[] namespaces)
        {
            if (type is not INamedTypeSymbol named || named.Name != name || named.Arity != 0 || named.ContainingType != null)
            {
                return false;
            }

            var ns = named.ContainingNamespace;
            foreach (var part in namespaces)
            {
                if (ns is null || ns.Name != part) return false;
                ns = ns.ContainingNamespace;
            }

            return ns is { IsGlobalNamespace: true };
        }

        private static string? KindProblem(IMethodSymbol method)
        {
            switch (method.MethodKind)
            {
                case MethodKind.Ordinary:
                    break;
                case MethodKind.LocalFunction:
                    return "is a local function; declare it as a method of a class";
                case MethodKind.AnonymousFunction:
                    return "is a lambda; declare it as a method of a class";
                case MethodKind.PropertyGet:
                case MethodKind.PropertySet:
                case MethodKind.EventAdd:
                case MethodKind.EventRemove:
                    return "is an accessor; declare an ordinary method instead";
                case MethodKind.ExplicitInterfaceImplementation:
                    return "is an explicit interface implementation, which only the interface can call; declare an ordinary method instead";
                default:
                    return "is not an ordinary method; declare an ordinary method instead";
            }

            var type = method.ContainingType;
            if (type != null && IsExtensionBlock(type))
            {
                return "is a member of a C# 14 extension block (extension(...) { }), which generated code cannot call as an ordinary method; declare the job as a static method of a static class and call the extension member from it";
            }

            if (type != null && !type.CanBeReferencedByName)
            {
                return "is declared in a type that cannot be named in C# code; declare it in a named class";
            }

            if (type?.TypeKind == TypeKind.Interface)
            {
                return "is declared in an interface; put [DistributedCron] on a method of a class";
            }

            if (method.IsAbstract)
            {
                return "is abstract; put [DistributedCron] on the method that implements it";
            }

            if (!method.IsStatic && type != null && type.IsAbstract)
            {
                return $"is an instance method of abstract class '{type.Name}', which cannot be created for a run; make the method static or move it to a concrete class";
            }

            if (!method.IsStatic && type?.TypeKind == TypeKind.Struct)
            {
                return type.IsRefLikeType
                    ? $"is an instance method of ref struct '{type.Name}', which generated code cannot create or hold across an await; make the method static or move it to a class"
                    : $"is an instance method of struct '{type.Name}', which dependency injection cannot create for a run; make the method static or move it to a class";
            }

            if (!method.IsStatic && type?.TypeKind == TypeKind.Class && !HasPublicConstructor(type))
            {
                return $"is an instance method of class '{type.Name}', which has no public constructor, so dependency injection cannot create it for a run; add a public constructor or make the method static";
            }

            for (ISymbol? symbol = method; symbol != null; symbol = symbol.ContainingType)
            {
                if (IsObsoleteError(symbol))
                {
                    return ReferenceEquals(symbol, method)
                        ? "is [Obsolete] with error: true, so the generated registration cannot call it; remove [DistributedCron] from the obsolete method or make the obsolescence a warning"
                        : $"is declared in type '{symbol.Name}', which is [Obsolete] with error: true, so the generated registration cannot name it; move the job or make the obsolescence a warning";
                }
            }

            return null;
        }

        // C# 14 extension blocks are types of a kind Roslyn 4.8 does not know (TypeKind.Extension, 14, in later
        // versions); the generator runs inside the user's newer compiler, so read the kind by name and by value.
        private static bool IsExtensionBlock(INamedTypeSymbol type) =>
            type.TypeKind.ToString() == "Extension" || (int)type.TypeKind == 14;

        private static bool HasPublicConstructor(INamedTypeSymbol type)
        {
            foreach (var constructor in type.InstanceConstructors)
            {
                if (constructor.DeclaredAccessibility == Accessibility.Public) return true;
            }

            return false;
        }

        private static bool IsObsoleteError(ISymbol symbol)
        {
            foreach (var attribute in symbol.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass && IsType(attributeClass, "ObsoleteAttribute", "System")
                    && attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[1].Value is true)
                {
                    return true;
                }
            }

            return false;
        }

        // The symbol of [Conditional("X")] on the method, or null.
        private static string? ConditionalSymbol(IMethodSymbol method)
        {
            foreach (var attribute in method.GetAttributes())
            {
                if (attribute.AttributeClass is { } attributeClass && IsType(attributeClass, "ConditionalAttribute", "Diagnostics", "System"))
                {
                    return attribute.ConstructorArguments.Length == 1 && attribute.ConstructorArguments[0].Value is string symbol ? symbol : string.Empty;
                }
            }

            return null;
        }

        private static string? UnreachableReason(IMethodSymbol method)
        {
            if (!IsReachable(method.DeclaredAccessibility))
            {
                return $"it is {Describe(method.DeclaredAccessibility)}";
            }

            for (var type = method.ContainingType; type != null; type = type.ContainingType)
            {
                if (!IsReachable(type.DeclaredAccessibility))
                {
                    return $"its containing type '{type.Name}' is {Describe(type.DeclaredAccessibility)}";
                }

                if (type.IsFileLocal)
                {
                    return $"its containing type '{type.Name}' is file-local";
                }
            }

            return null;
        }

        // Generated code lives in the same assembly, so anything visible assembly-wide can be called.
        private static bool IsReachable(Accessibility accessibility) =>
            accessibility == Accessibility.Public || accessibility == Accessibility.Internal || accessibility == Accessibility.ProtectedOrInternal;

        private static string Describe(Accessibility accessibility) => accessibility switch
        {
            Accessibility.Private => "private",
            Accessibility.Protected => "protected",
            Accessibility.ProtectedAndInternal => "private protected",
            _ => accessibility.ToString().ToLowerInvariant(),
        };
    }
}
