using System.Text;
using Clive.Git;
using Xunit;

namespace Clive.Tests.Git;

/// <summary>Names a filesystem would take for .git or .gitmodules, and the .gitmodules content git's fsck refuses.</summary>
public sealed class DotGitNamesTests
{
    [Theory]
    [InlineData(".git")]
    [InlineData(".GIT")]
    [InlineData(".Git.")]
    [InlineData(".git ")]
    [InlineData(".git. .")]
    [InlineData("git~1")]
    [InlineData("GIT~1")]
    [InlineData("git~1..")]
    [InlineData(".git::$INDEX_ALLOCATION")]
    [InlineData(".git:stream")]
    [InlineData(".git\u200c")]
    [InlineData("\u200e.g\u200dIT\ufeff")]
    [InlineData("a\\.git")]
    public void DotGitLookAlike_IsDotGit(string name) => Assert.True(DotGitNames.IsDotGit(Encoding.UTF8.GetBytes(name)));

    [Theory]
    [InlineData(".gitignore")]
    [InlineData(".gitfoo")]
    [InlineData("git~2")]
    [InlineData("git")]
    [InlineData(".gi")]
    [InlineData(".git\u00e9")]
    [InlineData("x.git")]
    public void OtherName_IsNotDotGit(string name) => Assert.False(DotGitNames.IsDotGit(Encoding.UTF8.GetBytes(name)));

    [Theory]
    [InlineData(".gitmodules", true)]
    [InlineData(".GITMODULES. ", true)]
    [InlineData(".gitmodules:$DATA", true)]
    [InlineData("gitmod~1", true)]
    [InlineData("GITMOD~4", true)]
    [InlineData("gi7eba~9", true)]
    [InlineData("gi7eb~12", true)]
    [InlineData(".git\u200cmodules", true)]
    [InlineData("gitmod~5", false)]
    [InlineData(".gitmodulesx", false)]
    [InlineData("gitmodules", false)]
    public void GitmodulesLookAlike_IsRecognised(string name, bool expected)
        => Assert.Equal(expected, DotGitNames.IsDotGitmodules(Encoding.UTF8.GetBytes(name)));

    [Theory]
    [InlineData(".gitattributes", true)]
    [InlineData(".GITATTRIBUTES ", true)]
    [InlineData("gitatt~1", true)]
    [InlineData("gi7d29~1", true)]
    [InlineData(".gitattribute", false)]
    public void GitattributesLookAlike_IsRecognised(string name, bool expected)
        => Assert.Equal(expected, DotGitNames.IsDotGitattributes(Encoding.UTF8.GetBytes(name)));

    [Fact]
    public void Gitattributes_WithLineOf2048Bytes_IsRefused()
    {
        GitattributesValidator.Validate(Encoding.UTF8.GetBytes(new string('x', 2047) + "\n" + new string('y', 2047)));
        Assert.Throws<InvalidObjectException>(() => GitattributesValidator.Validate(Encoding.UTF8.GetBytes("a\n" + new string('x', 2048) + "\n")));
    }

    [Theory]
    [InlineData("[submodule \"x\"]\n\turl = -oProxyCommand=x\n")]
    [InlineData("[submodule \"x\"]\n\tURL = \"-x\"\n")]
    [InlineData("[submodule \"x\"]\n\turl = \"-\"x\n")]
    [InlineData("[Submodule \"x\"]\n\turl = \\\n-x\n")]
    [InlineData("[submodule \"x\"]\n\tpath = -x\n")]
    [InlineData("[submodule \"x\"]\n\tupdate = !sh\n")]
    [InlineData("[submodule \"../x\"]\n\turl = https://e.com/x\n")]
    [InlineData("[submodule \"x/..\"]\n\turl = https://e.com/x\n")]
    [InlineData("[submodule \"x\\\\..\\\\y\"]\n\turl = https://e.com/x\n")]
    [InlineData("[submodule \"\"]\n\turl = https://e.com/x\n")]
    [InlineData("[submodule.x]\n\turl = -x\n")]
    [InlineData("[submodule \"x\"]\n\turl = ./%0ahost=evil\n")]
    public void Gitmodules_WithDangerousSetting_IsRefused(string text)
        => Assert.Throws<InvalidObjectException>(() => GitmodulesValidator.Validate(Encoding.UTF8.GetBytes(text)));

    [Theory]
    [InlineData("[submodule \"x\"]\n\turl = https://e.com/-x ; comment\n\tpath = a-b\n\tupdate = rebase\n")]
    [InlineData("[submodule \"..x\"]\n\turl = ../x.git\n")]
    [InlineData("[core]\n\turl = -x\n")]
    [InlineData("# only a comment\n")]
    [InlineData("")]
    public void Gitmodules_Ordinary_IsAccepted(string text) => GitmodulesValidator.Validate(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void ConfigReader_ReadsQuotesEscapesAndComments()
    {
        var entries = GitConfigReader.Read(Encoding.UTF8.GetBytes("[Sub \"A b\"]\n\tKey = \" x \" y # c\n\tflag\n\tlong = a\\\nb\n"));
        Assert.Equal([new ConfigEntry("sub", "A b", "key", " x  y"), new ConfigEntry("sub", "A b", "flag", null), new ConfigEntry("sub", "A b", "long", "ab")], entries);
    }
}
