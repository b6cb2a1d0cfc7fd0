using Clive.Access;

namespace Clive.Claims;

/// <summary>
/// The key a store's engines sign their claims with: an ed25519 key beside the store
/// (<c>host-key</c>, 0600), made on first use. Its own key, not sshd's host key: that one is
/// root's, and a signature by it would speak for everything on the machine.
/// </summary>
public sealed class HostKey
{
    public const string FileName = "host-key";

    private HostKey(string path) => PrivateKeyPath = path;

    public string PrivateKeyPath { get; }

    public SshPublicKey PublicKey => SshPublicKey.Parse(File.ReadAllText(PrivateKeyPath + ".pub"));

    public ClaimSigner Signer => new(PrivateKeyPath);

    /// <summary>The store's key, made now if it has none: generated under a temporary name and moved into place, so two processes never see half a key.</summary>
    public static HostKey Of(string storeDirectory)
    {
        var path = Path.Combine(storeDirectory, FileName);
        if (File.Exists(path) && File.Exists(path + ".pub")) return new HostKey(path);
        var temporary = Path.Combine(storeDirectory, $".{FileName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            var outcome = SshKeygen.Run(["-q", "-t", "ed25519", "-N", "", "-C", $"clive@{Environment.MachineName}", "-f", temporary], []);
            if (outcome.ExitCode != 0) throw new CliveException($"could not make the store's host key: {ClaimSigner.FirstLine(outcome.Stderr)}");
            // The public half first: a private key in place always has its public key beside it.
            if (!File.Exists(path + ".pub")) File.Move(temporary + ".pub", path + ".pub");
            if (!File.Exists(path)) File.Move(temporary, path);
        }
        catch (IOException) when (File.Exists(path) && File.Exists(path + ".pub"))
        {
            // Another process made it at the same moment: theirs is as good.
        }
        finally
        {
            File.Delete(temporary);
            File.Delete(temporary + ".pub");
        }
        return new HostKey(path);
    }
}
