using Clive.Access;
using Clive.Store;

namespace Clive.Protocol;

/// <summary>
/// Runs one git service (upload-pack or receive-pack) for one repo over a pair of streams: what
/// a remote helper does in-process for the local store, and what <c>clive serve</c> does at the
/// far end of an SSH connection.
/// </summary>
public static class GitService
{
    public const string UploadPack = "git-upload-pack";
    public const string ReceivePack = "git-receive-pack";

    /// <summary>Serves; a user's mistake goes to the client as an ERR packet (git prints it) and returns 1.</summary>
    public static int Serve(string service, string repo, Stream input, Stream output, string? storeDirectory, Principal principal)
    {
        try
        {
            using var store = OpenFor(service, repo, storeDirectory);
            switch (service)
            {
                case UploadPack:
                    new UploadPackServer(store, repo, input, output, principal).Run();
                    break;
                case ReceivePack:
                    new ReceivePackServer(store, repo, input, output, principal).Run();
                    break;
                default:
                    throw new ProtocolException($"unknown service '{service}'");
            }
            return 0;
        }
        catch (Exception e) when (ErrorPolicy.IsUsersProblem(e))
        {
            // git prints the ERR packet as its own one "fatal: remote error: …" line.
            ErrorPolicy.WriteStackIfTracing(e);
            TrySendError(output, e.Message);
            return 1;
        }
    }

    /// <summary>A push creates the store on first use; a fetch from a store that does not exist finds no repo.</summary>
    private static CliveStore OpenFor(string service, string repo, string? storeDirectory)
    {
        try
        {
            return CliveStore.Open(storeDirectory, create: service == ReceivePack);
        }
        catch (StoreNotFoundException)
        {
            throw new RepoNotFoundException(repo);
        }
    }

    private static void TrySendError(Stream output, string message)
    {
        try
        {
            new PktLineWriter(output).Error(message);
            output.Flush();
        }
        catch (IOException)
        {
            // The client is gone; there is no one left to tell.
        }
    }
}
