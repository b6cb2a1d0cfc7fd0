using System.Reflection;

namespace Clive.Engine.Values;

/// <summary>
/// Builds a record, class or struct from the member values a reader found: through the chosen
/// constructor (a missing member takes the parameter's default), then the settable members the
/// constructor did not take. Read-only members no constructor sets (computed ones) are left alone.
/// </summary>
internal sealed class ObjectBuilder(ValuePath path, Type type, ObjectShape shape)
{
    public object Build(object?[] values, bool[] present)
    {
        var taken = new bool[values.Length];
        object instance;
        if (shape.Constructor is { } constructor)
        {
            var arguments = new object?[shape.Parameters.Count];
            for (var i = 0; i < arguments.Length; i++)
            {
                var member = shape.ParameterMembers[i];
                var parameter = shape.Parameters[i];
                if (member >= 0 && present[member] && Fits(values[member], parameter.ParameterType))
                {
                    arguments[i] = values[member];
                    taken[member] = true;
                }
                else
                {
                    arguments[i] = Default(parameter);
                }
            }
            instance = Invoke(() => constructor.Invoke(arguments));
        }
        else if (type.IsValueType)
        {
            instance = Activator.CreateInstance(type)!;
        }
        else
        {
            throw new ValueException($"{path}: clive cannot build a {TypeNames.Display(type)}: it has no public constructor whose parameters name its members");
        }
        for (var i = 0; i < values.Length; i++)
        {
            if (!present[i] || taken[i] || !shape.Members[i].CanSet) continue;
            var member = shape.Members[i];
            Invoke(() => { member.Set(instance, values[i]); return instance; });
        }
        return instance;
    }

    private static bool Fits(object? value, Type type) => value is null ? !type.IsValueType || Nullable.GetUnderlyingType(type) is not null : type.IsInstanceOfType(value);

    /// <summary>A parameter's default (<c>int Count = 1</c>), else the type's.</summary>
    private static object? Default(ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (parameter.HasDefaultValue && parameter.DefaultValue is { } value and not DBNull)
            return type.IsEnum && value.GetType() != type ? Enum.ToObject(type, value) : value;
        return type.IsValueType && Nullable.GetUnderlyingType(type) is null ? Activator.CreateInstance(type) : null;
    }

    private object Invoke(Func<object> build)
    {
        try
        {
            return build();
        }
        catch (TargetInvocationException e) when (e.InnerException is { } inner)
        {
            throw new ValueException($"{path}: building a {TypeNames.Display(type)} threw {inner.GetType().Name}: {inner.Message}");
        }
    }
}
