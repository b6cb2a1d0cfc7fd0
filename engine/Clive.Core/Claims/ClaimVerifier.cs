using System.Text;
using Clive.Git;
using Clive.Store;

namespace Clive.Claims;

/// <summary>
/// Decides whether a claim from another host may become a result here. In order: it is for this
/// repo and for the very key asked about (a claim replayed for another run proves nothing about
/// this one), it is signed, the signature verifies against a key trusted now for that host and
/// repo, and, once its objects are fetched, the result commit holds exactly what the claim says.
/// Verifying writes nothing: a refused claim leaves the store as it was.
/// </summary>
public sealed class ClaimVerifier(CliveStore store)
{
    /// <summary>Far above any SSH signature (an RSA-16384 one is under 5 KiB).</summary>
    private const int MaxSignatureLength = 64 * 1024;

    public ResultClaim Verify(SignedClaim signed, string repo, string expectedKey)
    {
        var claim = signed.Claim;
        if (claim.Repo != repo) throw Refused($"the claim is for repo '{claim.Repo}', not '{repo}'");
        if (claim.Key != expectedKey) throw Refused($"the claim is for key {claim.Key}, not {expectedKey}: a claim about another run");
        if (string.IsNullOrWhiteSpace(signed.Signature)) throw Refused($"the claim of host '{claim.Host}' is not signed");
        if (signed.Signature.Length > MaxSignatureLength) throw Refused("the claim's signature is longer than any SSH signature");
        var keys = store.Trust.KeysFor(claim.Host, repo);
        if (keys.Count == 0) throw Refused($"host '{claim.Host}' is not trusted for '{repo}' (an admin there trusts it with `clive trust add`)");
        VerifySignature(signed, keys);
        return claim;
    }

    /// <summary>Once the claimed result commit is in the store: its tree must hold the output and value the claim names.</summary>
    public void CheckResult(ResultClaim claim)
    {
        if (!store.Objects.TryRead(claim.Result, out var type, out var data) || type != ObjectType.Commit)
            throw Refused($"the claimed result commit {claim.Result} is not in the store");
        var tree = store.Objects.Read(CommitParser.Parse(data).Tree, ObjectType.Tree);
        ObjectId? output = null, value = null;
        foreach (var entry in TreeParser.Entries(tree))
        {
            var name = Encoding.UTF8.GetString(entry.Name.Span);
            if (name == "out" && entry.IsTree) output = entry.Id;
            else if (name == "value.msgpack" && !entry.IsTree) value = entry.Id;
        }
        if (output != claim.Output) throw Refused($"the result commit's output is {Show(output)}, the claim says {Show(claim.Output)}");
        if (value != claim.Value) throw Refused($"the result commit's value is {Show(value)}, the claim says {Show(claim.Value)}");
    }

    private static void VerifySignature(SignedClaim signed, IReadOnlyList<Access.SshPublicKey> keys)
    {
        var host = signed.Claim.Host;
        var directory = Directory.CreateTempSubdirectory("clive-claim-"); // 0700, a fresh name
        try
        {
            var allowed = Path.Combine(directory.FullName, "allowed_signers");
            var signature = Path.Combine(directory.FullName, "signature");
            // The host name and key data are checked (HostName, SshPublicKey): nothing here can start another line or an option.
            File.WriteAllLines(allowed, keys.Select(k => $"{host} namespaces=\"{ClaimSigner.Namespace}\" {k.Type} {k.Data}"));
            File.WriteAllText(signature, signed.Signature);
            var outcome = SshKeygen.Run(["-Y", "verify", "-f", allowed, "-I", host, "-n", ClaimSigner.Namespace, "-s", signature], signed.Claim.CanonicalText());
            if (outcome.ExitCode != 0)
                throw Refused($"the claim's signature does not verify with the keys trusted for host '{host}': {ClaimSigner.FirstLine(outcome.Stderr + outcome.Stdout)}");
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static string Show(ObjectId? id) => id?.ToString() ?? "none";

    private static ClaimRefusedException Refused(string why) => new($"claim refused: {why}");
}
