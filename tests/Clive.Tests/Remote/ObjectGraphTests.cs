using Clive.Git;
using Clive.Packs;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// Objects that are each well-formed but refer to one another wrongly (a commit whose tree is a
/// blob) or nest too deeply: one writer could push them and break every later clone.
/// </summary>
public sealed class ObjectGraphTests : IDisposable
{
    private const string Ident = "Ada Author <ada@example.com> 1700000000 +0000";
    private readonly GitSandbox _sandbox = new();
    private readonly RawPush _push;

    public ObjectGraphTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
        _push = new RawPush(_sandbox, "src");
    }

    public void Dispose() => _sandbox.Dispose();

    private ObjectId BaseTree => ObjectId.Parse(_sandbox.RevParse("src", "main^{tree}"));

    private ObjectId AddCommit(CraftedPack pack, ObjectId tree)
        => pack.Add(ObjectType.Commit, $"tree {tree}\nparent {_push.Base}\nauthor {Ident}\ncommitter {Ident}\n\ncrafted\n");

    /// <summary>Each case: a pack and the tip to move a ref to; null ref name means main.</summary>
    private (CraftedPack Pack, ObjectId Tip, string Ref) Case(string name)
    {
        var pack = new CraftedPack();
        var blob = pack.Add(ObjectType.Blob, "some content\n");
        switch (name)
        {
            case "valid commit":
                return (pack, AddCommit(pack, pack.AddTree(("100644", "f", blob))), "refs/heads/main");
            case "commit whose tree is a blob":
                return (pack, AddCommit(pack, blob), "refs/heads/main");
            case "directory entry that is a blob":
                return (pack, AddCommit(pack, pack.AddTree(("40000", "d", blob))), "refs/heads/main");
            case "file entry that is a tree":
                return (pack, AddCommit(pack, pack.AddTree(("100644", "f", BaseTree))), "refs/heads/main");
            case "tag whose type is not its object's":
                return (pack, pack.Add(ObjectType.Tag, $"object {BaseTree}\ntype commit\ntag t\ntagger {Ident}\n\nlies\n"), "refs/tags/t");
            case "valid tag":
                return (pack, pack.Add(ObjectType.Tag, $"object {BaseTree}\ntype tree\ntag t\ntagger {Ident}\n\ntrue\n"), "refs/tags/t");
            default:
                throw new ArgumentException(name);
        }
    }

    [Theory]
    [InlineData("valid commit", true)]
    [InlineData("valid tag", true)]
    [InlineData("commit whose tree is a blob", false)]
    [InlineData("directory entry that is a blob", false)]
    [InlineData("file entry that is a tree", false)]
    [InlineData("tag whose type is not its object's", false)]
    public void Push_OfObjectsReferringToWrongTypes_IsJudgedAsGitJudgesIt(string name, bool accepted)
    {
        var (pack, tip, refName) = Case(name);
        var bytes = pack.ToBytes();
        var before = _sandbox.StoreSnapshot();

        var git = _push.ToGit(tip, bytes, refName);
        var clive = _push.ToClive(tip, bytes, refName);

        Assert.True(accepted == RawPush.Accepted(git, refName), $"git: {git.Output}");
        Assert.True(accepted == RawPush.Accepted(clive, refName), $"clive: {clive.Output}");
        if (!accepted)
        {
            Assert.Matches("unpack .*(is a|refers to it as)", clive.Stdout);
            Assert.Equal(before, _sandbox.StoreSnapshot());
        }
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    [Fact]
    public void Push_OfTreeDeeperThanGitsMaxTreeDepth_IsRefused()
    {
        // git 2.39 accepts this pack (core.maxTreeDepth came in 2.44, and caps walks, not receive).
        var (pack, tip) = DeepCommit(TreeDepth.MaxDepth + 904);
        var before = _sandbox.StoreSnapshot();

        var result = _push.ToClive(tip, pack.ToBytes());

        Assert.False(RawPush.Accepted(result), result.Output);
        Assert.Contains($"nests more than {TreeDepth.MaxDepth} directories deep", result.Stdout);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void TreeNearTheDepthCap_IsAccepted_Cloned_AndChecked()
    {
        var (pack, tip) = DeepCommit(4000);

        var push = _push.ToClive(tip, pack.ToBytes());
        Assert.True(RawPush.Accepted(push), push.Output);
        var clone = _sandbox.Git("", "clone", "-q", "--bare", GitSandbox.Url("demo"), "copy.git");

        clone.EnsureSuccess("clone of a 4000-deep tree");
        Assert.Equal(tip.ToString(), _sandbox.RevParse("copy.git", "main"));
        _sandbox.Clive("fsck").EnsureSuccess("clive fsck");
    }

    /// <summary>A commit whose tree holds d/d/…/d/f, <paramref name="depth"/> trees deep.</summary>
    private (CraftedPack Pack, ObjectId Tip) DeepCommit(int depth)
    {
        var pack = new CraftedPack();
        var tree = pack.AddTree(("100644", "f", pack.Add(ObjectType.Blob, "deep\n")));
        for (int i = 1; i < depth; i++) tree = pack.AddTree(("40000", "d", tree));
        return (pack, AddCommit(pack, tree));
    }
}
