using System.Text;
using Clive.Git;

namespace Clive.Tests.Fixtures;

/// <summary>
/// A pack of hand-made objects, each stored whole. Tests craft objects that git's own commands
/// would refuse to write or send (a commit whose tree is a blob), so they build the pack bytes.
/// </summary>
public sealed class CraftedPack
{
    private readonly List<(ObjectType Type, byte[] Content)> _objects = [];

    public ObjectId Add(ObjectType type, byte[] content)
    {
        _objects.Add((type, content));
        return ObjectId.HashObject(type, content);
    }

    public ObjectId Add(ObjectType type, string content) => Add(type, Encoding.UTF8.GetBytes(content));

    /// <summary>A tree of (mode, name, id) entries, written in the order given.</summary>
    public ObjectId AddTree(params (string Mode, string Name, ObjectId Id)[] entries) => Add(ObjectType.Tree, Tree(entries));

    public static byte[] Tree(params (string Mode, string Name, ObjectId Id)[] entries)
    {
        var bytes = new List<byte>();
        foreach (var (mode, name, id) in entries)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes($"{mode} {name}\0"));
            bytes.AddRange(id.ToBytes());
        }
        return [.. bytes];
    }

    public byte[] ToBytes()
    {
        var pack = new MemoryStream();
        using (var builder = new PackBuilder(pack, (uint)_objects.Count))
        {
            foreach (var (type, content) in _objects) builder.AddWhole(type, content);
            builder.Finish();
        }
        return pack.ToArray();
    }
}

/// <summary>
/// One push replayed byte for byte against clive (<c>clive serve git-receive-pack</c>) and
/// against git (<c>git receive-pack</c> on a bare repo with <c>receive.fsckObjects</c>), so a
/// test can assert that both give the same verdict.
/// </summary>
public sealed class RawPush
{
    private readonly GitSandbox _sandbox;
    private readonly string _bare;

    /// <summary>Both sides start from <paramref name="source"/>'s main, already pushed to clive's repo "demo".</summary>
    public RawPush(GitSandbox sandbox, string source)
    {
        _sandbox = sandbox;
        _bare = sandbox.PathOf("git-verdict.git");
        sandbox.GitOk("", "init", "-q", "--bare", _bare);
        sandbox.GitOk("", "-C", _bare, "config", "receive.fsckObjects", "true");
        sandbox.GitOk(source, "push", "-q", "file://" + _bare, "main");
        Base = sandbox.RevParse(source, "main");
    }

    /// <summary>The commit main points at on both sides.</summary>
    public string Base { get; }

    /// <summary>Pushes <paramref name="pack"/> to clive, moving main (or creating another ref) to <paramref name="tip"/>.</summary>
    public ProcessResult ToClive(ObjectId tip, byte[] pack, string refName = "refs/heads/main")
        => ProcessRunner.Run(Binaries.Clive, ["serve", "git-receive-pack", "demo"],
            _sandbox.Root, _sandbox.Environment, Input(tip, pack, refName));

    /// <summary>The same bytes to git.</summary>
    public ProcessResult ToGit(ObjectId tip, byte[] pack, string refName = "refs/heads/main")
        => ProcessRunner.Run("git", ["receive-pack", _bare], _sandbox.Root, _sandbox.Environment, Input(tip, pack, refName));

    /// <summary>True when the report says the pack unpacked and the ref moved.</summary>
    public static bool Accepted(ProcessResult result, string refName = "refs/heads/main")
        => result.Stdout.Contains("unpack ok") && result.Stdout.Contains("ok " + refName);

    private byte[] Input(ObjectId tip, byte[] pack, string refName)
    {
        var old = refName == "refs/heads/main" ? Base : ObjectId.Zero.ToString();
        var line = $"{old} {tip} {refName}\0report-status\n";
        return [.. Encoding.ASCII.GetBytes($"{line.Length + 4:x4}{line}0000"), .. pack];
    }
}
