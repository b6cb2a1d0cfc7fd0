using System.Text;

namespace Clive.Claims;

/// <summary>A claim and its SSH signature (<c>-----BEGIN SSH SIGNATURE-----</c>, namespace <see cref="ClaimSigner.Namespace"/>).</summary>
public sealed record SignedClaim(ResultClaim Claim, string Signature);

/// <summary>
/// Signs claims with a host's SSH private key (<c>ssh-keygen -Y sign</c>). The namespace keeps a
/// claim's signature from passing for anything else the same key signs (a git commit, a file),
/// and theirs from passing for a claim.
/// </summary>
public sealed class ClaimSigner(string privateKeyPath)
{
    public const string Namespace = "clive-claim@clive";

    public SignedClaim Sign(ResultClaim claim)
    {
        var outcome = SshKeygen.Run(["-Y", "sign", "-q", "-n", Namespace, "-f", privateKeyPath], claim.CanonicalText());
        if (outcome.ExitCode != 0 || !outcome.Stdout.StartsWith("-----BEGIN SSH SIGNATURE-----", StringComparison.Ordinal))
            throw new CliveException($"could not sign the claim with {privateKeyPath}: {FirstLine(outcome.Stderr)}");
        return new SignedClaim(claim, outcome.Stdout);
    }

    internal static string FirstLine(string text)
    {
        var line = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "no message";
        return Printable.Of(line);
    }
}
