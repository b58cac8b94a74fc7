using System.Reflection;
using System.Runtime.CompilerServices;

namespace DistCron.Tests.PublicApi;

/// <summary>
/// One sorted line per exported type and per public or protected member, with C#-like signatures (nullable
/// annotations included, since a parameter becoming nullable or not is an API change too).
/// </summary>
internal static class PublicSurface
{
    public static string Describe(Assembly assembly)
    {
        var lines = new List<string>();
        foreach (var type in assembly.GetExportedTypes())
        {
            var name = TypeName(type);
            lines.Add($"{name} : {TypeHeader(type)}");
            const BindingFlags flags = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
            foreach (var member in type.GetMembers(flags))
            {
                if (Describe(member) is { } text) lines.Add($"{name} :: {text}");
            }
        }

        lines.Sort(StringComparer.Ordinal);
        return string.Join("\n", lines) + "\n";
    }

    private static string TypeHeader(Type type)
    {
        var kind = type.IsEnum ? "enum"
            : type.IsInterface ? "interface"
            : type.IsValueType ? (type.IsDefined(typeof(IsReadOnlyAttribute)) ? "readonly struct" : "struct")
            : typeof(Delegate).IsAssignableFrom(type) ? "delegate"
            : type.IsAbstract && type.IsSealed ? "static class"
            : (type.IsSealed ? "sealed " : type.IsAbstract ? "abstract " : "") + "class";
        var bases = new List<string>();
        if (type.BaseType is { } b && b != typeof(object) && b != typeof(ValueType) && b != typeof(Enum) && b != typeof(MulticastDelegate)) bases.Add(TypeName(b));
        bases.AddRange(type.GetInterfaces().Select(TypeName).Order(StringComparer.Ordinal));
        var attributes = type.GetCustomAttributesData()
            .Where(a => a.AttributeType.Namespace is "System.ComponentModel" or "System" && a.AttributeType.Name is "EditorBrowsableAttribute" or "ObsoleteAttribute" or "AttributeUsageAttribute")
            // Named arguments too: AttributeUsage's AllowMultiple is part of what a consumer may write.
            .Select(a => $"[{a.AttributeType.Name[..^"Attribute".Length]}({string.Join(", ", a.ConstructorArguments.Select(c => c.ArgumentType.IsEnum ? $"{c.ArgumentType.Name}.{Enum.ToObject(c.ArgumentType, c.Value!)}" : c.Value)
                .Concat(a.NamedArguments.Select(n => (object?)$"{n.MemberName} = {n.TypedValue.Value}")))})] ");
        return string.Concat(attributes) + kind + (bases.Count > 0 ? " : " + string.Join(", ", bases) : "");
    }

    private static bool Visible(MethodBase? method) => method is not null && (method.IsPublic || method.IsFamily || method.IsFamilyOrAssembly);

    private static string? Describe(MemberInfo member)
    {
        var context = new NullabilityInfoContext();
        switch (member)
        {
            case ConstructorInfo ctor when Visible(ctor):
                return $"{(ctor.IsStatic ? "static " : "")}{Access(ctor)}.ctor({Parameters(ctor, context)})";
            case MethodInfo method when Visible(method) && !method.IsSpecialName || method is { IsSpecialName: true, Name: var n } && n.StartsWith("op_", StringComparison.Ordinal) && Visible(method):
                var m = (MethodInfo)member;
                var generic = m.IsGenericMethodDefinition ? "<" + string.Join(", ", m.GetGenericArguments().Select(a => a.Name)) + ">" : "";
                var modifiers = (m.IsStatic ? "static " : "") + (m.IsAbstract && !m.DeclaringType!.IsInterface ? "abstract " : m.IsVirtual && !m.IsFinal && !m.DeclaringType!.IsInterface ? "virtual " : "");
                var extension = m.IsDefined(typeof(ExtensionAttribute)) ? "this " : "";
                return $"{Access(m)}{modifiers}{Nullable(context.Create(m.ReturnParameter))} {m.Name}{generic}({extension}{Parameters(m, context)})";
            case PropertyInfo property when Visible(property.GetMethod) || Visible(property.SetMethod):
                var accessors = new List<string>();
                if (Visible(property.GetMethod)) accessors.Add("get;");
                if (Visible(property.SetMethod))
                {
                    var init = property.SetMethod!.ReturnParameter.GetRequiredCustomModifiers().Any(t => t.Name == "IsExternalInit");
                    accessors.Add(init ? "init;" : "set;");
                }

                var index = property.GetIndexParameters();
                var label = index.Length == 0 ? property.Name : $"this[{string.Join(", ", index.Select(p => $"{TypeName(p.ParameterType)} {p.Name}"))}]";
                return $"{Access(property.GetMethod ?? property.SetMethod!)}{((property.GetMethod ?? property.SetMethod)!.IsStatic ? "static " : "")}{Nullable(context.Create(property))} {label} {{ {string.Join(" ", accessors)} }}";
            case FieldInfo field when (field.IsPublic || field.IsFamily || field.IsFamilyOrAssembly) && !field.IsSpecialName:
                if (field.DeclaringType!.IsEnum) return $"{field.Name} = {Convert.ToInt64(field.GetRawConstantValue(), System.Globalization.CultureInfo.InvariantCulture)}";
                var constant = field.IsLiteral ? $"const {TypeName(field.FieldType)} {field.Name} = {field.GetRawConstantValue()}" : null;
                return constant ?? $"{(field.IsStatic ? "static " : "")}{(field.IsInitOnly ? "readonly " : "")}{Nullable(context.Create(field))} {field.Name}";
            case EventInfo e when Visible(e.AddMethod):
                return $"event {TypeName(e.EventHandlerType!)} {e.Name}";
            default:
                return null;
        }
    }

    private static string Access(MethodBase method) => method.IsPublic ? "" : "protected ";

    private static string Parameters(MethodBase method, NullabilityInfoContext context) =>
        string.Join(", ", method.GetParameters().Select(p =>
            (p.IsDefined(typeof(ParamArrayAttribute)) ? "params " : "") +
            (p.ParameterType.IsByRef ? (p.IsOut ? "out " : p.IsIn ? "in " : "ref ") : "") +
            $"{Nullable(context.Create(p))} {p.Name}" +
            (p.HasDefaultValue ? " = " + DefaultText(p) : "")));

    private static string DefaultText(ParameterInfo parameter) => parameter.DefaultValue switch
    {
        null => parameter.ParameterType.IsValueType && System.Nullable.GetUnderlyingType(parameter.ParameterType) is null ? "default" : "null",
        string text => $"\"{text}\"",
        bool flag => flag ? "true" : "false",
        var value => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
    };

    private static string Nullable(NullabilityInfo info)
    {
        var type = info.Type.IsByRef ? info.Type.GetElementType()! : info.Type;
        if (System.Nullable.GetUnderlyingType(type) is { } underlying) return TypeName(underlying) + "?";
        string name;
        if (type.IsArray && info.ElementType is { } element) name = Nullable(element) + "[]";
        else if (type.IsGenericType && info.GenericTypeArguments.Length == type.GetGenericArguments().Length)
        {
            name = GenericName(type) + "<" + string.Join(", ", info.GenericTypeArguments.Select(Nullable)) + ">";
        }
        else name = TypeName(type);

        return !type.IsValueType && info.ReadState == NullabilityState.Nullable ? name + "?" : name;
    }

    private static string GenericName(Type type)
    {
        var name = type.IsNested ? TypeName(type.DeclaringType!) + "." + type.Name : (type.Namespace is null ? "" : type.Namespace + ".") + type.Name;
        var tick = name.IndexOf('`', StringComparison.Ordinal);
        return tick < 0 ? name : name[..tick];
    }

    private static string TypeName(Type type)
    {
        if (type.IsByRef) return TypeName(type.GetElementType()!);
        if (type.IsGenericParameter) return type.Name;
        if (type.IsArray) return TypeName(type.GetElementType()!) + "[]";
        if (System.Nullable.GetUnderlyingType(type) is { } underlying) return TypeName(underlying) + "?";
        if (type.IsGenericType) return GenericName(type) + "<" + string.Join(", ", type.GetGenericArguments().Select(TypeName)) + ">";
        return type.IsNested ? TypeName(type.DeclaringType!) + "." + type.Name : type.FullName ?? type.Name;
    }
}
