using System.Text;
using System.Text.Json;
using Clive.Access;
using Clive.Claims;
using Clive.Git;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Claims;

/// <summary>
/// Results from other hosts as signed claims (issue 14): real keys made by ssh-keygen, real
/// signatures, a real store holding a pushed result commit. Each refusal is an attack a host or
/// the network could make; each checks the store is as before.
/// </summary>
public sealed class ClaimTests : IDisposable
{
    private const string Key = "0123456789abcdef0123456789abcdef";
    private readonly GitSandbox _sandbox = new();
    private readonly string _hostB;
    private readonly string _mallory;
    private readonly ResultClaim _claim;
    private string _bobFingerprint = "";

    public ClaimTests()
    {
        _hostB = NewKey("host-b");
        _mallory = NewKey("mallory");
        // A result commit as the engine writes one: out/ and value.msgpack in its tree.
        _sandbox.NewRepo("result", ("out/hello.txt", "hello\n"), ("value.msgpack", "\u00a5hello"));
        _sandbox.GitOk("result", "push", "-q", GitSandbox.Url("demo"), "main");
        _claim = new ResultClaim("demo", "demo@main:greet", Key,
            [Id(_sandbox.RevParse("result", "HEAD:out"))], Id(_sandbox.RevParse("result", "HEAD")),
            Id(_sandbox.RevParse("result", "HEAD:out")), Id(_sandbox.RevParse("result", "HEAD:value.msgpack")), "host-b");
    }

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void AClaimSignedByATrustedHost_Verifies_AndItsResultCommitHoldsWhatItSays()
    {
        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "demo").EnsureSuccess("trust add");
        var signed = new ClaimSigner(_hostB).Sign(_claim);
        Assert.StartsWith("-----BEGIN SSH SIGNATURE-----", signed.Signature);

        using var store = _sandbox.OpenStore();
        var verifier = new ClaimVerifier(store);
        var claim = verifier.Verify(new SignedClaim(ResultClaim.Parse(_claim.CanonicalText()), signed.Signature), "demo", Key);
        verifier.CheckResult(claim);
        Assert.Equal(_claim.Result, claim.Result);
    }

    [Fact]
    public void Refused_AnUnsignedClaim_AClaimSignedByAnUntrustedKey_AndAHostTrustedOnlyForAnotherRepo()
    {
        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "other").EnsureSuccess("trust for another repo");
        Assert.Contains("not trusted for 'demo'", Refusal(new ClaimSigner(_hostB).Sign(_claim)));

        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "demo").EnsureSuccess("trust add");
        Assert.Contains("is not signed", Refusal(new SignedClaim(_claim, "")));
        // Mallory signs a claim in host-b's name with her own key.
        Assert.Contains("does not verify with the keys trusted for host 'host-b'", Refusal(new ClaimSigner(_mallory).Sign(_claim)));
    }

    [Fact]
    public void Refused_AClaimChangedInTransit_AndOneReplayedForAnotherKey()
    {
        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "*").EnsureSuccess("trust add");
        var signed = new ClaimSigner(_hostB).Sign(_claim);
        // The signature of the real claim, sent with another result commit named in it.
        var otherCommit = Id(_sandbox.RevParse("result", "HEAD:out"));
        Assert.Contains("does not verify", Refusal(signed with { Claim = _claim with { Result = otherCommit } }));
        // An honest claim about one run, offered for another run's key.
        Assert.Contains("not " + "fedcba9876543210fedcba9876543210", Refusal(signed, key: "fedcba9876543210fedcba9876543210"));
    }

    [Fact]
    public void Refused_ASignedClaimWhoseResultCommitDoesNotHoldWhatItSays()
    {
        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "demo").EnsureSuccess("trust add");
        // Host B signs, but the result it names has another output than the claim says.
        var lying = _claim with { Output = Id(_sandbox.RevParse("result", "HEAD^{tree}")) };
        using var store = _sandbox.OpenStore();
        var verifier = new ClaimVerifier(store);
        var claim = verifier.Verify(new ClaimSigner(_hostB).Sign(lying), "demo", Key);
        var e = Assert.Throws<ClaimRefusedException>(() => verifier.CheckResult(claim));
        Assert.Contains("the result commit's output is " + _claim.Output, e.Message);
        var missing = _claim with { Result = Id("1234567890123456789012345678901234567890") };
        Assert.Contains("is not in the store", Assert.Throws<ClaimRefusedException>(() => verifier.CheckResult(missing)).Message);
    }

    [Fact]
    public void RemovingTrust_RefusesTheHostsClaimsFromThenOn_AndTheHistoryStays()
    {
        _sandbox.Clive("trust", "add", "host-b", _hostB + ".pub", "demo").EnsureSuccess("trust add");
        var signed = new ClaimSigner(_hostB).Sign(_claim);
        Assert.Null(Refusal(signed));
        _sandbox.Clive("trust", "remove", "host-b", "demo").EnsureSuccess("trust remove");
        Assert.Contains("not trusted for 'demo'", Refusal(signed));

        Assert.Equal("", _sandbox.Clive("trust", "list").Stdout);
        var history = JsonDocument.Parse(_sandbox.Clive("trust", "list", "--all", "--json").EnsureSuccess("list").Stdout).RootElement;
        var row = Assert.Single(history.EnumerateArray());
        Assert.Equal("host-b", row.GetProperty("host").GetString());
        Assert.StartsWith("SHA256:", row.GetProperty("fingerprint").GetString());
        Assert.True(row.TryGetProperty("removed_at", out _));
    }

    [Fact]
    public void OnlyAnAdminOfTheReposMayChangeWhoIsTrusted()
    {
        using (var store = _sandbox.OpenStore())
        {
            store.Access.AddKey("bob", File.ReadAllText(_mallory + ".pub"));
            _bobFingerprint = SshPublicKey.Parse(File.ReadAllText(_mallory + ".pub")).Fingerprint;
            store.Access.Grant(Principal.Owner, "bob", Right.Write, Scope.Parse("demo"));
            var key = File.ReadAllText(_hostB + ".pub");
            Assert.Throws<AccessDeniedException>(() => store.Trust.Trust(Principal.Identity("bob"), "host-b", key, "demo"));
            store.Access.Grant(Principal.Owner, "bob", Right.Admin, Scope.Parse("demo"));
            store.Trust.Trust(Principal.Identity("bob"), "host-b", key, "demo");
            // Admin over demo is not admin over every repo.
            Assert.Throws<AccessDeniedException>(() => store.Trust.Trust(Principal.Identity("bob"), "host-b", key, "*"));
            Assert.Single(store.Trust.List());
        }
        // Through the forced command, as bob's SSH key would run it.
        var denied = ServeAsBob("distrust host-b '*'");
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("admin", denied.Stderr);
        ServeAsBob("distrust host-b demo").EnsureSuccess("distrust as an admin of demo");
        using var after = _sandbox.OpenStore();
        Assert.Empty(after.Trust.List());
    }

    [Theory]
    [InlineData("keys", "add", "bob")]
    [InlineData("trust", "add", "host-b")]
    public void AKeyFileThatIsHugeOrNotText_IsOneLine_AndChangesNothing(string command, string verb, string name)
    {
        var huge = _sandbox.PathOf("huge.pub");
        File.WriteAllText(huge, "ssh-ed25519 " + new string('A', 20 * 1024 * 1024));
        var binary = _sandbox.PathOf("binary.pub");
        File.WriteAllBytes(binary, [0x73, 0x73, 0x68, 0xff, 0xfe]);
        var before = _sandbox.StoreSnapshot();
        foreach (var (file, why) in new[] { (huge, "larger than"), (binary, "not UTF-8 text"), (_sandbox.PathOf("none.pub"), "no such file") })
        {
            string[] args = command == "trust" ? [command, verb, name, file, "demo"] : [command, verb, name, file];
            var result = _sandbox.Clive(args);
            Assert.NotEqual(0, result.ExitCode);
            Assert.Contains(why, result.Stderr);
            Assert.Single(result.Stderr.Trim().Split('\n'));
        }
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Theory]
    [InlineData("clive-claim 1\nrepo demo\n")]
    [InlineData("clive-claim 2\n")]
    [InlineData("")]
    public void AMalformedClaimText_IsRefusedNamingWhy(string text)
        => Assert.StartsWith("malformed claim:", Assert.Throws<ClaimRefusedException>(() => ResultClaim.Parse(Encoding.UTF8.GetBytes(text))).Message);

    [Fact]
    public void AClaimWithInputsOutOfOrderOrAHostileHostName_IsRefused()
    {
        var text = Encoding.UTF8.GetString(_claim.CanonicalText());
        var twice = text.Replace("input ", "input " + _claim.Inputs[0] + "\ninput ");
        Assert.Contains("canonical", Assert.Throws<ClaimRefusedException>(() => ResultClaim.Parse(Encoding.UTF8.GetBytes(twice))).Message);
        Assert.Throws<ClaimRefusedException>(() => (_claim with { Host = "b\nrepo x" }).CanonicalText());
        Assert.Throws<ClaimRefusedException>(() => (_claim with { Host = "-o" }).CanonicalText());
    }

    private string? Refusal(SignedClaim signed, string key = Key)
    {
        var before = _sandbox.StoreSnapshot();
        try
        {
            using var store = _sandbox.OpenStore();
            new ClaimVerifier(store).Verify(signed, "demo", key);
            return null;
        }
        catch (ClaimRefusedException e)
        {
            Assert.Equal(before, _sandbox.StoreSnapshot());
            return e.Message;
        }
    }

    private ProcessResult ServeAsBob(string command)
        => ProcessRunner.Run(Binaries.Clive, ["serve", "--identity", "bob", "--key", _bobFingerprint], _sandbox.Root,
            new Dictionary<string, string>(_sandbox.Environment) { ["SSH_ORIGINAL_COMMAND"] = command });

    private string NewKey(string name)
    {
        var path = _sandbox.PathOf(name + "-key");
        ProcessRunner.Run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", path], _sandbox.Root, _sandbox.Environment).EnsureSuccess("ssh-keygen");
        return path;
    }

    private static ObjectId Id(string hex) => ObjectId.Parse(hex.Trim());
}
