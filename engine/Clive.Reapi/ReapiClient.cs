using Build.Bazel.Remote.Execution.V2;
using Google.Bytestream;
using Google.LongRunning;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;

namespace Clive.Reapi;

/// <summary>A call the farm failed or refused: names the endpoint and the gRPC status, as users need to act on it.</summary>
public sealed class ReapiException(string message, StatusCode? status = null, Exception? cause = null) : CliveException(message, cause)
{
    public StatusCode? Status { get; } = status;

    /// <summary>Whether trying again (or elsewhere) may help: the farm was unreachable, overloaded or cut off, rather than refusing the action.</summary>
    public bool Transient => Status is StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.ResourceExhausted or StatusCode.Aborted
        or StatusCode.Internal or StatusCode.Unknown or StatusCode.Cancelled;
}

/// <summary>
/// The calls clive makes to a REAPI v2 server: the action cache, the CAS (FindMissingBlobs,
/// BatchUpdateBlobs for small blobs, ByteStream for large ones and for every read: the reference
/// worker has no BatchReadBlobs) and Execute with its operation followed to the end.
/// </summary>
public sealed class ReapiClient : IDisposable
{
    /// <summary>Blobs up to this size travel in batches; larger ones through ByteStream, in chunks of this size.</summary>
    public const int BatchLimit = 1 << 20;
    private const int BatchBytes = 2 << 20;
    private const int MaxReceive = 64 << 20;

    private readonly GrpcChannel _channel;
    private readonly ActionCache.ActionCacheClient _actionCache;
    private readonly ContentAddressableStorage.ContentAddressableStorageClient _cas;
    private readonly ByteStream.ByteStreamClient _byteStream;
    private readonly Execution.ExecutionClient _execution;
    private readonly string _invocation = Guid.NewGuid().ToString();

    public ReapiEndpoint Endpoint { get; }

    public ReapiClient(ReapiEndpoint endpoint)
    {
        Endpoint = endpoint;
        _channel = GrpcChannel.ForAddress(endpoint.Address, new GrpcChannelOptions { MaxReceiveMessageSize = MaxReceive, MaxSendMessageSize = MaxReceive });
        _actionCache = new ActionCache.ActionCacheClient(_channel);
        _cas = new ContentAddressableStorage.ContentAddressableStorageClient(_channel);
        _byteStream = new ByteStream.ByteStreamClient(_channel);
        _execution = new Execution.ExecutionClient(_channel);
    }

    /// <summary>The headers of every call: the user's (auth), and RequestMetadata, which the reference worker requires.</summary>
    private Metadata Headers(string actionId)
    {
        var headers = new Metadata();
        foreach (var (name, value) in Endpoint.Headers) headers.Add(name, value);
        var request = new RequestMetadata
        {
            ToolDetails = new ToolDetails { ToolName = "clive", ToolVersion = typeof(ReapiClient).Assembly.GetName().Version?.ToString() ?? "" },
            ActionId = actionId,
            ToolInvocationId = _invocation,
        };
        headers.Add("build.bazel.remote.execution.v2.requestmetadata-bin", request.ToByteArray());
        return headers;
    }

    private string Instance => Endpoint.Instance;

    private ReapiException Failed(string what, RpcException e)
        => new($"REAPI {Endpoint.Name}: {what}: {e.StatusCode} ({Printable.Of(e.Status.Detail, 300)})", e.StatusCode, e);

    /// <summary>The cached result of the action, or null when the cache has none.</summary>
    public async Task<ActionResult?> GetActionResultAsync(Digest action, CancellationToken cancel)
    {
        try
        {
            return await _actionCache.GetActionResultAsync(new GetActionResultRequest { InstanceName = Instance, ActionDigest = action, InlineStdout = true, InlineStderr = true },
                Headers(action.Hash), cancellationToken: cancel);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.NotFound)
        {
            return null;
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            throw Failed("GetActionResult", e);
        }
    }

    /// <summary>Which of <paramref name="digests"/> the CAS lacks.</summary>
    public async Task<IReadOnlyList<Digest>> FindMissingAsync(IReadOnlyList<Digest> digests, string actionId, CancellationToken cancel)
    {
        var missing = new List<Digest>();
        // Requests stay well under the 4 MiB message limit servers default to (~80 bytes a digest).
        foreach (var chunk in digests.Chunk(10_000))
        {
            var request = new FindMissingBlobsRequest { InstanceName = Instance };
            request.BlobDigests.AddRange(chunk);
            try
            {
                var reply = await _cas.FindMissingBlobsAsync(request, Headers(actionId), cancellationToken: cancel);
                missing.AddRange(reply.MissingBlobDigests);
            }
            catch (RpcException e) when (!cancel.IsCancellationRequested)
            {
                throw Failed("FindMissingBlobs", e);
            }
        }
        return missing;
    }

    /// <summary>Uploads blobs: small ones in batches, large ones through ByteStream.</summary>
    public async Task UploadAsync(IReadOnlyList<Digest> digests, Func<Digest, byte[]> content, string actionId, CancellationToken cancel)
    {
        var batch = new BatchUpdateBlobsRequest { InstanceName = Instance };
        long batchBytes = 0;
        foreach (var digest in digests)
        {
            if (digest.SizeBytes > BatchLimit)
            {
                await WriteAsync(digest, content(digest), actionId, cancel);
                continue;
            }
            if (batchBytes + digest.SizeBytes > BatchBytes)
            {
                await SendBatchAsync(batch, actionId, cancel);
                batch = new BatchUpdateBlobsRequest { InstanceName = Instance };
                batchBytes = 0;
            }
            batch.Requests.Add(new BatchUpdateBlobsRequest.Types.Request { Digest = digest, Data = ByteString.CopyFrom(content(digest)) });
            batchBytes += digest.SizeBytes;
        }
        if (batch.Requests.Count > 0) await SendBatchAsync(batch, actionId, cancel);
    }

    private async Task SendBatchAsync(BatchUpdateBlobsRequest batch, string actionId, CancellationToken cancel)
    {
        BatchUpdateBlobsResponse reply;
        try
        {
            reply = await _cas.BatchUpdateBlobsAsync(batch, Headers(actionId), cancellationToken: cancel);
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            throw Failed("BatchUpdateBlobs", e);
        }
        if (reply.Responses.FirstOrDefault(r => r.Status is { Code: not 0 }) is { } refused)
            throw new ReapiException($"REAPI {Endpoint.Name}: BatchUpdateBlobs refused {Digests.Key(refused.Digest)}: {(StatusCode)refused.Status.Code} ({Printable.Of(refused.Status.Message, 300)})",
                (StatusCode)refused.Status.Code);
    }

    /// <summary>Writes one blob through ByteStream, in chunks, under a fresh upload name.</summary>
    public async Task WriteAsync(Digest digest, byte[] content, string actionId, CancellationToken cancel)
    {
        var resource = (Instance.Length > 0 ? Instance + "/" : "") + $"uploads/{Guid.NewGuid()}/blobs/{digest.Hash}/{digest.SizeBytes}";
        try
        {
            using var call = _byteStream.Write(Headers(actionId), cancellationToken: cancel);
            long offset = 0;
            do
            {
                int length = (int)Math.Min(BatchLimit, content.Length - offset);
                var request = new WriteRequest { WriteOffset = offset, Data = ByteString.CopyFrom(content, (int)offset, length), FinishWrite = offset + length == content.Length };
                if (offset == 0) request.ResourceName = resource;
                await call.RequestStream.WriteAsync(request, cancel);
                offset += length;
            }
            while (offset < content.Length);
            await call.RequestStream.CompleteAsync();
            var reply = await call.ResponseAsync;
            if (reply.CommittedSize != content.Length)
                throw new ReapiException($"REAPI {Endpoint.Name}: ByteStream.Write of {Digests.Key(digest)} committed {reply.CommittedSize} bytes");
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            throw Failed("ByteStream.Write", e);
        }
    }

    /// <summary>Reads one blob through ByteStream, refusing more bytes than its digest says or content that does not hash to it.</summary>
    public async Task<byte[]> ReadAsync(Digest digest, string actionId, CancellationToken cancel)
    {
        if (!Digests.IsValid(digest)) throw new ReapiException($"REAPI {Endpoint.Name}: a malformed digest in a reply");
        if (digest.SizeBytes == 0) return [];
        if (digest.SizeBytes > Array.MaxLength) throw new ReapiException($"REAPI {Endpoint.Name}: a {digest.SizeBytes}-byte output is too large to read");
        var resource = (Instance.Length > 0 ? Instance + "/" : "") + $"blobs/{digest.Hash}/{digest.SizeBytes}";
        var content = new byte[digest.SizeBytes];
        long offset = 0;
        try
        {
            using var call = _byteStream.Read(new ReadRequest { ResourceName = resource }, Headers(actionId), cancellationToken: cancel);
            while (await call.ResponseStream.MoveNext(cancel))
            {
                var data = call.ResponseStream.Current.Data;
                if (offset + data.Length > content.Length) throw new ReapiException($"REAPI {Endpoint.Name}: blob {Digests.Key(digest)} is longer than its digest says");
                data.Span.CopyTo(content.AsSpan((int)offset));
                offset += data.Length;
            }
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            throw Failed($"ByteStream.Read of {Digests.Key(digest)}", e);
        }
        if (offset != content.Length || Digests.Of(content).Hash != digest.Hash)
            throw new ReapiException($"REAPI {Endpoint.Name}: blob {Digests.Key(digest)} does not match its digest");
        return content;
    }

    /// <summary>Executes the action and follows its operation to the end (WaitExecution when the stream ends early).</summary>
    public async Task<ExecuteResponse> ExecuteAsync(Digest action, CancellationToken cancel)
    {
        string? name = null;
        try
        {
            using (var call = _execution.Execute(new ExecuteRequest { InstanceName = Instance, ActionDigest = action, SkipCacheLookup = false }, Headers(action.Hash), cancellationToken: cancel))
            {
                while (await call.ResponseStream.MoveNext(cancel))
                {
                    var operation = call.ResponseStream.Current;
                    name = operation.Name;
                    if (operation.Done) return Finished(operation);
                }
            }
            while (name is not null)
            {
                using var wait = _execution.WaitExecution(new WaitExecutionRequest { Name = name }, Headers(action.Hash), cancellationToken: cancel);
                while (await wait.ResponseStream.MoveNext(cancel))
                    if (wait.ResponseStream.Current is { Done: true } done) return Finished(done);
            }
            throw new ReapiException($"REAPI {Endpoint.Name}: Execute ended without an operation", StatusCode.Unavailable);
        }
        catch (RpcException e) when (!cancel.IsCancellationRequested)
        {
            throw Failed(name is null ? "Execute" : $"Execute (operation {Printable.Of(name, 80)})", e);
        }
    }

    private ExecuteResponse Finished(Operation operation)
    {
        if (operation.Error is { Code: not 0 } error)
            throw new ReapiException($"REAPI {Endpoint.Name}: Execute: {(StatusCode)error.Code} ({Printable.Of(error.Message, 300)})", (StatusCode)error.Code);
        if (operation.Response is null || !operation.Response.TryUnpack<ExecuteResponse>(out var response))
            throw new ReapiException($"REAPI {Endpoint.Name}: Execute finished without an ExecuteResponse");
        return response;
    }

    public void Dispose() => _channel.Dispose();
}
