using System.Buffers.Binary;
using System.Text;
using Clive.Tests.Fixtures;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Clive.Tests.Remote;

/// <summary>
/// A key file or a stored row that tries to smuggle a second, unrestricted line into
/// authorized_keys: refused when added, and never rendered when planted in the store.
/// </summary>
public sealed class KeyInjectionTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public KeyInjectionTests()
    {
        _sandbox.NewRepo("src", ("a", "1"));
        _sandbox.GitOk("src", "push", "-q", GitSandbox.Url("demo"), "main");
    }

    public void Dispose() => _sandbox.Dispose();

    /// <summary>An ed25519 public key line in SSH wire format: string "ssh-ed25519", string 32 key bytes.</summary>
    public static string Ed25519Line(byte seed, string keyType = "ssh-ed25519", string blobType = "ssh-ed25519", string comment = "")
        => $"{keyType} {Convert.ToBase64String(Blob(blobType, Enumerable.Repeat(seed, 32).ToArray()))}" + (comment.Length > 0 ? " " + comment : "");

    private static byte[] Blob(params object[] fields)
    {
        var blob = new List<byte>();
        foreach (var field in fields)
        {
            var bytes = field as byte[] ?? Encoding.ASCII.GetBytes((string)field);
            var length = new byte[4];
            BinaryPrimitives.WriteUInt32BigEndian(length, (uint)bytes.Length);
            blob.AddRange(length);
            blob.AddRange(bytes);
        }
        return [.. blob];
    }

    private ProcessResult AddKey(string name, string fileContent)
    {
        var path = _sandbox.PathOf(name + ".pub");
        File.WriteAllText(path, fileContent);
        return _sandbox.Clive("keys", "add", name, path);
    }

    private static void AssertOneLineRefusal(ProcessResult result, string message)
    {
        Assert.NotEqual(0, result.ExitCode);
        var line = Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("fatal: ", line);
        Assert.Contains(message, line);
    }

    private string[] AuthorizedKeysLines()
        => _sandbox.Clive("keys", "authorized-keys").EnsureSuccess("authorized-keys").Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    [Theory]
    [InlineData("ssh-x\n")]                 // the probe's file: the second line had no command= at all
    [InlineData("ssh-ed25519\r")]
    [InlineData("ssh-ed25519\v")]
    public void KeyFileWithASecondLine_IsRefused_AndNothingIsRendered(string prefix)
    {
        var result = AddKey("mallory", prefix + Ed25519Line(1, comment: "mallory@evil") + "\n");

        AssertOneLineRefusal(result, "control character");
        Assert.Equal("", _sandbox.Clive("keys", "list").EnsureSuccess("keys list").Stdout);
        Assert.Empty(AuthorizedKeysLines());
    }

    [Theory]
    [InlineData("evil\nssh-ed25519 AAAA")]
    [InlineData("evil\u001b[2Jclear")]
    [InlineData("evil\u0085next")]
    public void CommentWithControlCharacters_IsRefused(string comment)
    {
        var result = AddKey("mallory", Ed25519Line(2, comment: comment));

        AssertOneLineRefusal(result, "control character");
        Assert.Equal("", _sandbox.Clive("keys", "list").EnsureSuccess("keys list").Stdout);
    }

    [Theory]
    [InlineData("ssh-rsa", "ssh-ed25519", "says 'ssh-ed25519' inside")]   // stated type is not the blob's
    [InlineData("ssh-ed25519", "ssh-x", "says 'ssh-x' inside")]
    [InlineData("ssh-x", "ssh-x", "not a supported key type")]
    [InlineData("ssh-dss", "ssh-dss", "not a supported key type")]    // OpenSSH no longer accepts DSA
    public void KeyWhoseTypeIsWrongOrUnknown_IsRefused(string stated, string embedded, string message)
    {
        var result = AddKey("mallory", Ed25519Line(3, stated, embedded));

        AssertOneLineRefusal(result, message);
        Assert.Empty(AuthorizedKeysLines());
    }

    [Fact]
    public void KeyDataThatIsNoWireFormatBlob_IsRefused()
    {
        var result = AddKey("mallory", "ssh-ed25519 " + Convert.ToBase64String(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 1, 2 }));

        AssertOneLineRefusal(result, "not an SSH public key");
    }

    [Fact]
    public void GoodKeys_RenderExactlyOneRestrictedLineEach()
    {
        AddKey("alice", Ed25519Line(4, comment: "alice@laptop\n")).EnsureSuccess("keys add alice");
        AddKey("bob", Ed25519Line(5) + "\n").EnsureSuccess("keys add bob");

        var lines = AuthorizedKeysLines();

        Assert.Equal(2, lines.Length);
        Assert.All(lines, line => Assert.Matches("^command=\"[^\"]* serve --identity (alice|bob) --key SHA256:[A-Za-z0-9+/]{43} [^\"]*\",restrict ssh-ed25519 [A-Za-z0-9+/=]+ (alice|bob)$", line));
    }

    [Fact]
    public void RowsPlantedInTheStore_AreNotRendered_AndSaidSo()
    {
        AddKey("alice", Ed25519Line(6)).EnsureSuccess("keys add alice");
        var good = Ed25519Line(7).Split(' ')[1];
        using (var db = new SqliteConnection($"Data Source={Path.Combine(_sandbox.StoreDirectory, "store.db")};Pooling=False"))
        {
            db.Open();
            // Rows no `clive keys add` would write: each tries to start a line of its own.
            foreach (var (name, type, data) in new[]
                     {
                         ("eve", "ssh-ed25519", good + "\nssh-ed25519 " + good),
                         ("eve2", "ssh-x\nssh-ed25519", good),
                         ("eve3\nssh-ed25519 " + good, "ssh-ed25519", Ed25519Line(8).Split(' ')[1]),
                         ("eve4", "ssh-rsa", Ed25519Line(9).Split(' ')[1]),
                     })
            {
                using var insert = db.CreateCommand();
                insert.CommandText = "INSERT INTO identities(name, key_type, key_data, comment, added) VALUES($n, $t, $d, '', 0)";
                insert.Parameters.AddWithValue("$n", name);
                insert.Parameters.AddWithValue("$t", type);
                insert.Parameters.AddWithValue("$d", data);
                insert.ExecuteNonQuery();
            }
        }

        var result = _sandbox.Clive("keys", "authorized-keys").EnsureSuccess("authorized-keys");

        var line = Assert.Single(result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--identity alice ", line);
        Assert.Equal(4, result.Stderr.Split('\n').Count(l => l.StartsWith("warning: skipping identity", StringComparison.Ordinal)));
        Assert.DoesNotContain("   at ", result.Stderr);
    }
}
