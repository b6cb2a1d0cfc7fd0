using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Who may make the engine run code, through a real sshd: pushing a model is not enough (the
/// `run` right is), and what a model reads with FromRef is checked against its pusher's rights.
/// </summary>
public sealed class ModelTrustTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();
    private readonly SshServer _ssh;

    public ModelTrustTests()
    {
        _ssh = new SshServer(_sandbox);
        _ssh.AddIdentity("mallory");
        // The owner's secret data, in another repo and on a hidden branch of the shared one.
        _sandbox.NewRepo("secret", ("secret.txt", "the owner's secret\n"));
        _sandbox.GitOk("secret", "push", "-q", GitSandbox.Url("secret"), "main");
        _sandbox.NewRepo("shared", ("README", "shared\n"));
        _sandbox.GitOk("shared", "push", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("secret", "push", "-q", GitSandbox.Url("demo"), "main:refs/heads/hidden");
    }

    public void Dispose()
    {
        _ssh.Dispose();
        _sandbox.Dispose();
    }

    private void Grant(params string[] args) => _sandbox.Clive(["grant", .. args]).EnsureSuccess("clive grant");

    /// <summary>Mallory clones demo, commits a model, and pushes it over SSH.</summary>
    private string PushAsMallory(string model)
    {
        if (!Directory.Exists(_sandbox.PathOf("mallory"))) _ssh.GitAs("mallory", "", "clone", "-q", _ssh.Url("demo"), "mallory").EnsureSuccess("clone");
        _sandbox.Commit("mallory", "clive.csx", model);
        _ssh.GitAs("mallory", "mallory", "push", "-q", "origin", "main").EnsureSuccess("push as mallory");
        return _sandbox.RevParse("mallory", "HEAD");
    }

    private ModelStatus? Model()
    {
        using var store = _sandbox.OpenStore();
        return store.Cells.Models("demo").FirstOrDefault();
    }

    [SkippableFact]
    public void AModelPushedWithoutTheRunRightIsNeverRun_AndRunsOnceTheRightIsGranted()
    {
        Grant("mallory", "write", "demo:refs/heads/main");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        var first = PushAsMallory("""Cells.Command("pwn").Run("id > $CLIVE_OUT/id");""");

        engine.Wait(() => Model() is { State: "refused" } m && m.Source.ToString() == first, "the model to be refused");
        Assert.Contains("'mallory' pushed it and has no 'run' right on demo:refs/heads/main", Model()!.Diagnostics);
        Assert.Empty(engine.Runs("demo"));
        Assert.Contains("clive grant mallory run demo", _sandbox.Clive("status", "demo").Stdout + _sandbox.Clive("status", "demo").Stderr);

        Grant("mallory", "run", "demo:refs/heads/main");
        _sandbox.Commit("mallory", "again", "x\n");
        _ssh.GitAs("mallory", "mallory", "push", "-q", "origin", "main").EnsureSuccess("push again");
        engine.WaitForCells("demo", CellState.Succeeded, "pwn");
    }

    [SkippableFact]
    public void AnOwnerMovingTheRefToAnUntrustedCommitMakesItTrusted_AnUntrustedPushOnTopDoesNot()
    {
        Grant("mallory", "write", "demo:refs/heads/*");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        var commit = PushAsMallory("""Cells.Command("reviewed").Run("echo ok > $CLIVE_OUT/ok");""");
        engine.Wait(() => Model() is { State: "refused" }, "the model to be refused");

        // The owner reviews it and takes it as it is: a local push is the owner's.
        _sandbox.GitOk("shared", "fetch", "-q", GitSandbox.Url("demo"), "main");
        _sandbox.GitOk("shared", "reset", "-q", "--hard", "FETCH_HEAD");
        _sandbox.GitOk("shared", "push", "-q", GitSandbox.Url("demo"), $"{commit}:refs/heads/reviewed");
        Assert.Empty(engine.Runs("demo")); // another branch: not watched

        _sandbox.Commit("shared", "owner.txt", "the owner's commit\n");
        _sandbox.GitOk("shared", "push", "-q", GitSandbox.Url("demo"), "main");
        engine.WaitForCells("demo", CellState.Succeeded, "reviewed");
    }

    [SkippableFact]
    public void FromRefIsCheckedAgainstThePushersReadRights_OtherReposAndHiddenBranchesStayUnread()
    {
        Grant("mallory", "write", "demo:refs/heads/main");
        Grant("mallory", "run", "demo:refs/heads/main");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        PushAsMallory("""
            Cells.Command("other-repo").FromRef("secret", "main").Run("cat secret.txt > $CLIVE_OUT/stolen");
            Cells.Command("hidden-branch").FromRef("", "hidden").Run("cat secret.txt > $CLIVE_OUT/stolen");
            Cells.Command("missing-repo").FromRef("no-such-repo", "main").Run("ls > $CLIVE_OUT/listing");
            Cells.Command("own-branch").FromRef("", "main", "README").Run("cat README > $CLIVE_OUT/readme");
            """);

        engine.WaitForCells("demo", CellState.Failed, "other-repo", "hidden-branch", "missing-repo");
        engine.WaitForCells("demo", CellState.Succeeded, "own-branch");
        Assert.Contains("'mallory' (who pushed the model) may not read secret:main", engine.Status("demo", "other-repo")!.Message);
        Assert.Contains("may not read demo:hidden", engine.Status("demo", "hidden-branch")!.Message);
        // A repo that does not exist is refused the same way: the answer says nothing of what is there.
        Assert.Contains("may not read no-such-repo:main", engine.Status("demo", "missing-repo")!.Message);
        var refs = _sandbox.Clive("refs", "demo").Stdout;
        Assert.DoesNotContain("other-repo", refs);
        Assert.DoesNotContain("hidden-branch", refs);
    }

    [SkippableFact]
    public void FollowsAreCheckedAgainstThePushersReadRights()
    {
        Grant("mallory", "write", "demo:refs/heads/main");
        Grant("mallory", "run", "demo:refs/heads/main");
        using var engine = new EngineProcess(_sandbox, "--repo", "demo");
        PushAsMallory("""
            Cells.Compute("follow-ref", ctx => ctx.Follow(new GitRef("secret", "main")).ReadText("secret.txt"));
            Cells.Compute("follow-cell", ctx => ctx.Follow(new CellRef<string>("secret@main:data")));
            Cells.Compute("own-ref", ctx => ctx.Follow(new GitRef("demo", "main")).ReadText("README"));
            """);

        engine.WaitForCells("demo", CellState.Failed, "follow-ref", "follow-cell");
        engine.WaitForCells("demo", CellState.Succeeded, "own-ref");
        _sandbox.GitOk("shared", "fetch", "-q", "-f", GitSandbox.Url("demo"), "refs/clive/*:refs/clive/*");
        Assert.Contains("'mallory' (who pushed the model) may not read secret:main, which this cell follows",
            _sandbox.GitOk("shared", "show", "refs/clive/cells/main/follow-ref:stderr").Stdout);
        Assert.Contains("may not read secret:refs/clive/cells/main/data, which this cell follows",
            _sandbox.GitOk("shared", "show", "refs/clive/cells/main/follow-cell:stderr").Stdout);
    }
}
