namespace Clive.Engine.Values;

/// <summary>Names of types as a model's author wrote them.</summary>
public static class TypeNames
{
    /// <summary>C# spelling for messages: <c>int</c>, <c>int?</c>, <c>List&lt;Order&gt;</c>, <c>Order.Line</c>.</summary>
    public static string Display(Type type)
    {
        if (Nullable.GetUnderlyingType(type) is { } underlying) return Display(underlying) + "?";
        if (type.IsArray) return Display(type.GetElementType()!) + "[]";
        var keyword = Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool", TypeCode.Char => "char", TypeCode.String => "string",
            TypeCode.SByte => "sbyte", TypeCode.Byte => "byte", TypeCode.Int16 => "short", TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int", TypeCode.UInt32 => "uint", TypeCode.Int64 => "long", TypeCode.UInt64 => "ulong",
            TypeCode.Single => "float", TypeCode.Double => "double", TypeCode.Decimal => "decimal",
            _ => type == typeof(object) ? "object" : null,
        };
        if (keyword is not null && !type.IsEnum) return keyword;
        return Qualified(type, Display, ".", withNamespace: false);
    }

    /// <summary>
    /// The name a schema gives a type: namespace and enclosing types (<c>Shop.Order+Line</c>), generic
    /// arguments by the same rule (<c>Page&lt;Shop.Order&gt;</c>). A script's types are nested in its
    /// script class (<c>Script</c>, the one with the <c>&lt;Factory&gt;</c> entry point), whose name says nothing: it is left out.
    /// </summary>
    public static string Schema(Type type) => Qualified(type, Schema, "+", withNamespace: true);

    private static string Qualified(Type type, Func<Type, string> argument, string nesting, bool withNamespace)
    {
        var name = Plain(type.Name);
        for (var outer = type.DeclaringType; outer is not null && !IsScriptClass(outer); outer = outer.DeclaringType)
            name = Plain(outer.Name) + nesting + name;
        if (withNamespace && Outermost(type) is { Namespace: { Length: > 0 } space } && !IsScriptClass(Outermost(type))) name = space + "." + name;
        if (type.IsGenericType) name += "<" + string.Join(",", type.GetGenericArguments().Select(argument)) + ">";
        return name;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } outer) type = outer;
        return type;
    }

    private static bool IsScriptClass(Type type)
        => type.GetMethod("<Factory>", System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static) is not null;

    private static string Plain(string name) => name.IndexOf('`') is var tick and >= 0 ? name[..tick] : name;
}
