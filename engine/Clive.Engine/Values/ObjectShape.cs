using System.Reflection;
using Clive.Model;

namespace Clive.Engine.Values;

/// <summary>
/// One member of a stored object: a public instance property with a getter, or a public field.
/// <see cref="Was"/> are its former names (<see cref="WasAttribute"/> on it or on the constructor parameter it comes from).
/// </summary>
internal sealed class MemberShape(MemberInfo member, Type type, bool nullable, IReadOnlyList<string> was)
{
    public string Name => member.Name;
    public Type Type { get; } = type;
    /// <summary>Whether null is allowed: <c>T?</c>, or a reference type in code without nullable annotations.</summary>
    public bool Nullable { get; } = nullable;
    public IReadOnlyList<string> Was { get; } = was;

    public bool CanSet => member switch
    {
        PropertyInfo property => property.SetMethod is not null,
        FieldInfo info => !info.IsInitOnly,
        _ => false,
    };

    public object? Get(object target) => member is PropertyInfo property ? property.GetValue(target) : ((FieldInfo)member).GetValue(target);

    /// <summary>Sets the member, init-only properties included (reflection may; that is how a record's extra members are filled).</summary>
    public void Set(object target, object? value)
    {
        if (member is PropertyInfo property) property.SetValue(target, value);
        else ((FieldInfo)member).SetValue(target, value);
    }
}

/// <summary>
/// The members of a record, class or struct in declaration order (a base class's first), and the
/// constructor a reader builds it with: the public one with the most parameters that all name a
/// member (case-insensitively, as a record's primary constructor does) or have a default.
/// </summary>
internal sealed class ObjectShape
{
    private readonly Dictionary<string, int> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byNameIgnoringCase = new(StringComparer.OrdinalIgnoreCase);

    public ObjectShape(Type type)
    {
        // Made per shape and dropped: NullabilityInfoContext caches what it reads, and a static one would hold the model's types.
        var nullability = new NullabilityInfoContext();
        var members = new List<MemberShape>();
        var constructor = ChooseConstructor(type);
        var parameters = constructor?.GetParameters() ?? [];
        foreach (var declaring in Hierarchy(type))
        {
            const BindingFlags declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly;
            var found = declaring.GetProperties(declared)
                .Where(p => p.GetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
                .OrderBy(p => p.MetadataToken)
                .Select(p => ((MemberInfo)p, p.PropertyType, nullability.Create(p).ReadState))
                .Concat(declaring.GetFields(declared).OrderBy(f => f.MetadataToken).Select(f => ((MemberInfo)f, f.FieldType, nullability.Create(f).ReadState)));
            foreach (var (member, memberType, state) in found)
            {
                if (_byName.ContainsKey(member.Name)) continue; // overridden or hidden by a derived member of the same name: the base's position, one entry
                var parameter = parameters.FirstOrDefault(p => string.Equals(p.Name, member.Name, StringComparison.OrdinalIgnoreCase));
                var was = member.GetCustomAttributes<WasAttribute>().Concat(parameter?.GetCustomAttributes<WasAttribute>() ?? [])
                    .SelectMany(a => a.Names).Distinct(StringComparer.Ordinal).ToList();
                var nullable = memberType.IsValueType ? System.Nullable.GetUnderlyingType(memberType) is not null : state != NullabilityState.NotNull;
                _byName[member.Name] = members.Count;
                members.Add(new MemberShape(member, memberType, nullable, was));
            }
        }
        Members = members;
        for (var i = 0; i < members.Count; i++) _byNameIgnoringCase.TryAdd(members[i].Name, i);
        for (var i = 0; i < members.Count; i++)
            foreach (var old in members[i].Was) { _byName.TryAdd(old, i); _byNameIgnoringCase.TryAdd(old, i); }
        Constructor = constructor;
        Parameters = parameters;
        ParameterMembers = parameters.Select(p => _byNameIgnoringCase.GetValueOrDefault(p.Name ?? "", -1)).ToArray();
    }

    public IReadOnlyList<MemberShape> Members { get; }

    /// <summary>Null for a struct without one (built with its default value) or a type a reader cannot build.</summary>
    public ConstructorInfo? Constructor { get; }
    public IReadOnlyList<ParameterInfo> Parameters { get; }
    /// <summary>For each constructor parameter, the index of the member it sets, or -1 (it then takes its default).</summary>
    public IReadOnlyList<int> ParameterMembers { get; }

    /// <summary>The member a stored key fills: its name, a former name, then either ignoring case; -1 for a member the type no longer has.</summary>
    public int Find(string storedName)
        => _byName.TryGetValue(storedName, out var index) || _byNameIgnoringCase.TryGetValue(storedName, out index) ? index : -1;

    private static IEnumerable<Type> Hierarchy(Type type)
    {
        var chain = new List<Type>();
        for (var t = type; t is not null && t != typeof(object) && t != typeof(ValueType); t = t.BaseType) chain.Add(t);
        chain.Reverse();
        return chain;
    }

    private static ConstructorInfo? ChooseConstructor(Type type)
    {
        if (type.IsAbstract || type.IsInterface) return null;
        var names = new HashSet<string>(
            type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name)
                .Concat(type.GetFields(BindingFlags.Public | BindingFlags.Instance).Select(f => f.Name)),
            StringComparer.OrdinalIgnoreCase);
        return type.GetConstructors(BindingFlags.Public | BindingFlags.Instance)
            .Where(c => c.GetParameters().All(p => p.Name is { } name && names.Contains(name) || p.HasDefaultValue))
            // A record's copy constructor takes the record itself: never the one to build from stored members.
            .Where(c => !c.GetParameters().Any(p => p.ParameterType == type))
            .OrderByDescending(c => c.GetParameters().Length)
            .FirstOrDefault();
    }
}
