using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// examples/hello, as a user would use it: pushed as a repo, built by `clive up` with the real
/// dotnet SDK (build, publish, tarball, run), and rebuilt after a comment-only change, which
/// compiles to the same bytes and so wakes none of the cells that use the build.
/// </summary>
public sealed class ExampleModelTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    private static readonly string[] Cells = ["greeting.build", "hello.build", "hello.publish-linux-x64", "hello.tarball-linux-x64", "hello.run", "sources"];

    [Fact]
    public void TheExampleBuildsARealProjectAndACommentChangeStopsAtTheBuild()
    {
        var work = _sandbox.PathOf("work");
        CopyDirectory(Path.Combine(SourceTree.Root, "examples", "hello"), work);
        _sandbox.GitOk("work", "init", "-q");
        _sandbox.GitOk("work", "add", "-A");
        _sandbox.GitOk("work", "commit", "-q", "-m", "example");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("hello"), "main");

        using var engine = new EngineProcess(_sandbox);
        engine.Wait(() => Cells.All(c => engine.Status("hello", c)?.State == CellState.Succeeded), "every cell of the example", 300);
        _sandbox.GitOk("work", "fetch", "-q", GitSandbox.Url("hello"), "refs/clive/*:refs/clive/*");
        Assert.Equal("hello, world, from a cell\n", _sandbox.GitOk("work", "show", "refs/clive/cells/main/hello.run:out/greeting.txt").Stdout);
        var tarball = _sandbox.GitOk("work", "ls-tree", "-r", "refs/clive/cells/main/hello.tarball-linux-x64").Stdout;
        Assert.Contains("out/hello-linux-x64.tar.gz", tarball);
        engine.WaitIdle("hello");
        var before = engine.Runs("hello");

        var source = Path.Combine(work, "Greeting", "Greeting.cs");
        File.WriteAllText(source, File.ReadAllText(source).Replace("// The text the app prints.", "// The text the app prints (a comment-only change)."));
        _sandbox.GitOk("work", "commit", "-q", "-a", "-m", "comment only");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("hello"), "main");
        var head = _sandbox.RevParse("work", "HEAD");
        engine.WaitAtCommit("hello", head, CellState.Succeeded, Cells);
        engine.WaitIdle("hello");
        var ran = engine.Runs("hello").Where(r => r.Value != before.GetValueOrDefault(r.Key)).Select(r => r.Key).Order().ToList();
        Assert.Equal(["greeting.build", "hello.build", "hello.publish-linux-x64", "sources"], ran);
    }

    private static void CopyDirectory(string from, string to)
    {
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            if (relative.Split('/').Any(p => p is "bin" or "obj")) continue;
            var target = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target);
        }
    }
}
