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
    // The method's parameters: which are passed by the runtime, resolved from DI, or taken from their defaults.
    internal static partial class JobParser
    {
        private static string? ParameterProblem(IParameterSymbol parameter)
        {
            switch (parameter.RefKind)
            {
                case RefKind.None:
                    break;
                case RefKind.Out:
                    return "is an out parameter";
                case RefKind.In:
                    return "is an in parameter";
                default:
                    return "is passed by reference";
            }

            if (parameter.Type.TypeKind == TypeKind.Pointer || parameter.Type.TypeKind == TypeKind.FunctionPointer)
            {
                return "has a pointer type";
            }

            if (parameter.Type.IsRefLikeType)
            {
                return $"has ref struct type '{parameter.Type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which cannot be resolved from dependency injection";
            }

            if (parameter.IsParams)
            {
                return "is a params parameter, which dependency injection cannot fill; take the service the values come from instead";
            }

            var type = parameter.Type;
            if (type.TypeKind == TypeKind.Dynamic)
            {
                return "has type dynamic, which dependency injection cannot resolve; declare the service's type";
            }

            if (type.IsTupleType || (Underlying(type) is { IsTupleType: true }))
            {
                return $"has tuple type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which is not a service; take a service type, or give the parameter a default value";
            }

            // Legal in the user's code inside an [Obsolete] job, but CS0619 where the generated code names it.
            for (var named = (Underlying(type) ?? type) as INamedTypeSymbol; named != null; named = named.ContainingType)
            {
                if (IsObsoleteError(named))
                {
                    return $"has type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', which is [Obsolete] with error: true, so the generated registration cannot name it; take a service type that is not obsolete";
                }
            }

            if (!IsSpecial(type) && IsValue(type) && !parameter.IsOptional)
            {
                return $"has type '{type.ToDisplayString(SymbolDisplayFormat.CSharpErrorMessageFormat)}', a value rather than a service, so dependency injection cannot supply it; give it a default value (such as 'int retries = 3') or read it from a service such as IOptions<T>";
            }

            return null;
        }

        // CancellationToken, JobContext and IServiceProvider are passed by the runtime, not resolved.
        private static bool IsSpecial(ITypeSymbol type) =>
            IsType(type, "CancellationToken", "Threading", "System") || IsType(type, "JobContext", "DistCron") || IsType(type, "IServiceProvider", "System");

        private static ITypeSymbol? Underlying(ITypeSymbol type) =>
            type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : null;

        // A primitive, string, enum or date (or a Nullable of one): data, which DI has no business supplying.
        private static bool IsValue(ITypeSymbol type)
        {
            type = Underlying(type) ?? type;
            if (type.TypeKind == TypeKind.Enum) return true;
            switch (type.SpecialType)
            {
                case SpecialType.System_Boolean:
                case SpecialType.System_Char:
                case SpecialType.System_SByte:
                case SpecialType.System_Byte:
                case SpecialType.System_Int16:
                case SpecialType.System_UInt16:
                case SpecialType.System_Int32:
                case SpecialType.System_UInt32:
                case SpecialType.System_Int64:
                case SpecialType.System_UInt64:
                case SpecialType.System_Decimal:
                case SpecialType.System_Single:
                case SpecialType.System_Double:
                case SpecialType.System_String:
                case SpecialType.System_IntPtr:
                case SpecialType.System_UIntPtr:
                case SpecialType.System_DateTime:
                    return true;
                default:
                    return false;
            }
        }

        // Where the argument comes from, or null for a default value that cannot be written back as C#.
        private static ParameterModel? ReadParameter(IParameterSymbol parameter)
        {
            var type = parameter.Type;
            if (IsType(type, "CancellationToken", "Threading", "System")) return new ParameterModel(ParameterKind.CancellationToken, string.Empty);
            if (IsType(type, "JobContext", "DistCron")) return new ParameterModel(ParameterKind.JobContext, string.Empty);
            if (IsType(type, "IServiceProvider", "System")) return new ParameterModel(ParameterKind.ServiceProvider, string.Empty);

            if (parameter.IsOptional)
            {
                // A reference type other than string can only default to null: ask DI, and take null when it has none.
                if (type.IsReferenceType && type.SpecialType != SpecialType.System_String)
                {
                    return new ParameterModel(ParameterKind.OptionalService, TypeName(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)));
                }

                return DefaultExpression(parameter) is { } expression ? new ParameterModel(ParameterKind.DefaultValue, expression) : null;
            }

            if (Underlying(type) is { } value)
            {
                // Without nullable annotations: it goes into typeof(), where they are an error.
                return new ParameterModel(ParameterKind.NullableValueService, EscapeContextualKeywords(value.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat)));
            }

            return type.IsReferenceType && type.NullableAnnotation == NullableAnnotation.Annotated
                ? new ParameterModel(ParameterKind.OptionalService, TypeName(type.WithNullableAnnotation(NullableAnnotation.NotAnnotated)))
                : new ParameterModel(ParameterKind.Service, TypeName(type));
        }

        // The declared default as a C# expression of the parameter's type: "(global::System.Int32)(3)".
        private static string? DefaultExpression(IParameterSymbol parameter)
        {
            if (!parameter.HasExplicitDefaultValue || parameter.ExplicitDefaultValue is null) return "default";
            var value = parameter.ExplicitDefaultValue;
            string? literal = value switch
            {
                double d when double.IsNaN(d) => "global::System.Double.NaN",
                double d when double.IsPositiveInfinity(d) => "global::System.Double.PositiveInfinity",
                double d when double.IsNegativeInfinity(d) => "global::System.Double.NegativeInfinity",
                float f when float.IsNaN(f) => "global::System.Single.NaN",
                float f when float.IsPositiveInfinity(f) => "global::System.Single.PositiveInfinity",
                float f when float.IsNegativeInfinity(f) => "global::System.Single.NegativeInfinity",
                float f => f.ToString("R", CultureInfo.InvariantCulture) + "F",
                double d => d.ToString("R", CultureInfo.InvariantCulture) + "D",
                decimal m => m.ToString(CultureInfo.InvariantCulture) + "M",
                bool or char or string or sbyte or byte or short or ushort or int or uint or long or ulong => SymbolDisplay.FormatPrimitive(value, quoteStrings: true, useHexadecimalNumbers: false),
                _ => null,
            };
            return literal is null ? null : "(" + TypeName(parameter.Type) + ")(" + literal + ")";
        }
    }
}
