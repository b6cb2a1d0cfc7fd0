using System.Text;
using Clive.Git;
using Xunit;

namespace Clive.Tests.Git;

/// <summary>The git fsck rules every received object must pass.</summary>
public sealed class ObjectValidatorTests
{
    private static readonly byte[] SomeId = Convert.FromHexString("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");

    private static byte[] Tree(params (string Mode, string Name)[] entries)
    {
        var bytes = new List<byte>();
        foreach (var (mode, name) in entries)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes($"{mode} {name}\0"));
            bytes.AddRange(SomeId);
        }
        return bytes.ToArray();
    }

    [Theory]
    [InlineData(".")]
    [InlineData("..")]
    [InlineData(".git")]
    [InlineData(".GIT")]
    [InlineData("a/b")]
    [InlineData("")]
    public void Tree_WithForbiddenEntryName_IsRefused(string name)
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Tree, Tree(("100644", name))));

    [Fact]
    public void Tree_Unsorted_IsRefused()
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Tree, Tree(("100644", "b"), ("100644", "a"))));

    [Fact]
    public void Tree_WithDuplicateNames_IsRefused()
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Tree, Tree(("100644", "a"), ("40000", "a"))));

    [Fact]
    public void Tree_DirectorySortsAsIfNameEndedInSlash()
    {
        // "a.b" (0x2e) sorts before the directory "a" compared as "a/" (0x2f), and after the file "a".
        ObjectValidator.Validate(ObjectType.Tree, Tree(("100644", "a.b"), ("40000", "a")));
        Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Tree, Tree(("40000", "a"), ("100644", "a.b"))));
    }

    [Theory]
    [InlineData("100644")]
    [InlineData("100755")]
    [InlineData("120000")]
    [InlineData("40000")]
    [InlineData("160000")]
    public void Tree_WithGitModes_IsAccepted(string mode) => ObjectValidator.Validate(ObjectType.Tree, Tree((mode, "x")));

    [Theory]
    [InlineData("100666")]
    [InlineData("040000")]
    [InlineData("777")]
    public void Tree_WithBadMode_IsRefused(string mode)
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Tree, Tree((mode, "x"))));

    [Fact]
    public void Tree_ReportsWhatItRefersTo_ButNotSubmodules()
    {
        var seen = new List<ObjectType>();
        ObjectValidator.Validate(ObjectType.Tree, Tree(("100644", "f"), ("160000", "sub"), ("40000", "t")), (_, type) => seen.Add(type));
        Assert.Equal([ObjectType.Blob, ObjectType.Tree], seen);
    }

    private const string Tree40 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";

    [Fact]
    public void Commit_WellFormed_IsAccepted()
        => ObjectValidator.Validate(ObjectType.Commit, Encoding.UTF8.GetBytes(
            $"tree {Tree40}\nauthor A U Thor <a@example.com> 1700000000 +0100\ncommitter C <c@example.com> 1700000001 -0230\n\nmessage\n"));

    [Theory]
    [InlineData("author A U Thor <a@example.com> 1700000000\n")]
    [InlineData("author A U Thor a@example.com 1700000000 +0000\n")]
    [InlineData("author A U Thor<a@example.com> 1700000000 +0000\n")]
    [InlineData("author A <a@example.com> 17x0000000 +0000\n")]
    [InlineData("author A <a@example.com> 1700000000 +00\n")]
    [InlineData("")]
    public void Commit_WithBadAuthor_IsRefused(string authorLine)
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Commit, Encoding.UTF8.GetBytes(
            $"tree {Tree40}\n{authorLine}committer C <c@example.com> 1700000001 +0000\n\nm\n")));

    [Fact]
    public void Commit_WithUppercaseTreeId_IsRefused()
        => Assert.Throws<InvalidObjectException>(() => ObjectValidator.Validate(ObjectType.Commit, Encoding.UTF8.GetBytes(
            $"tree {Tree40.ToUpperInvariant()}\nauthor A <a@x> 1 +0000\ncommitter A <a@x> 1 +0000\n\nm\n")));

    [Fact]
    public void Tag_WellFormed_IsAccepted_AndWithoutTypeIsRefused()
    {
        ObjectValidator.Validate(ObjectType.Tag, Encoding.UTF8.GetBytes($"object {Tree40}\ntype tree\ntag v1\ntagger T <t@x> 1 +0000\n\nmsg\n"));
        Assert.Throws<InvalidObjectException>(() =>
            ObjectValidator.Validate(ObjectType.Tag, Encoding.UTF8.GetBytes($"object {Tree40}\ntag v1\ntagger T <t@x> 1 +0000\n\nmsg\n")));
    }

    [Fact]
    public void ObjectId_HashesLikeGit()
        => Assert.Equal("e69de29bb2d1d6434b8b29ae775ad8c2e48c5391", ObjectId.HashObject(ObjectType.Blob, []).ToString());
}
