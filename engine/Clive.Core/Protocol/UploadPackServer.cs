using System.Text;
using Clive.Access;
using Clive.Git;
using Clive.Packs;
using Clive.Store;
using Clive.Store.Maintenance;
using Clive.Store.Refs;
using Clive.Transfer;

namespace Clive.Protocol;

/// <summary>
/// The serving side of <c>git fetch</c>, <c>clone</c> and <c>ls-remote</c>, speaking protocol v2
/// (gitprotocol-v2: <c>ls-refs</c> and <c>fetch</c>) straight from the store. git follows the
/// version a server announces, so v2 is what a client always gets.
/// </summary>
public sealed class UploadPackServer(CliveStore store, string repo, Stream input, Stream output, Principal principal)
{
    private const string Agent = "clive/0.1";
    private readonly PktLineReader _reader = new(input);
    private readonly PktLineWriter _writer = new(output);
    private long _repoId;
    private Func<string, bool> _readable = _ => false;
    private ReadableObjects? _readableObjects;

    public void Run()
    {
        repo = Clive.Store.Repos.RepoName.Normalize(repo);
        store.Access.DemandAny(principal, Right.Read, repo);
        // gc deletes no pack while a fetch runs: where this one learnt an object lies stays readable.
        using var gcGate = GcGate.Fetch(store.Directory);
        _repoId = store.Repos.GetId(repo);
        _readable = store.Access.ReadableRefs(principal, repo);
        // One per connection, like the rights above: negotiation rounds share what the walk found.
        _readableObjects = ReadableObjects.For(store, _repoId, _readable);
        _writer.WriteLine("version 2");
        _writer.WriteLine("agent=" + Agent);
        _writer.WriteLine("ls-refs=unborn");
        _writer.WriteLine("fetch=shallow filter");
        _writer.WriteLine("server-option");
        _writer.WriteLine("object-format=sha1");
        _writer.Flush();
        output.Flush();

        while (true)
        {
            var first = _reader.Read();
            if (first.Kind is PktKind.EndOfStream or PktKind.Flush) return;
            if (!first.IsData || !first.Text.StartsWith("command=", StringComparison.Ordinal))
                throw new ProtocolException("expected a command request");
            string command = first.Text["command=".Length..];
            var capabilities = _reader.ReadSection(out var end);
            var arguments = end == PktKind.Delimiter ? _reader.ReadSection(out _) : [];
            switch (command)
            {
                case "ls-refs": ListRefs(arguments); break;
                case "fetch": Fetch(arguments); break;
                default: throw new ProtocolException($"unknown command '{command}'");
            }
            output.Flush();
        }
    }

    private void ListRefs(List<string> arguments)
    {
        bool symrefs = arguments.Contains("symrefs");
        bool peel = arguments.Contains("peel");
        bool unborn = arguments.Contains("unborn");
        var prefixes = arguments.Where(a => a.StartsWith("ref-prefix ", StringComparison.Ordinal)).Select(a => a[11..]).ToList();
        bool Wanted(string name) => prefixes.Count == 0 || prefixes.Any(p => name.StartsWith(p, StringComparison.Ordinal));

        var refs = ReadableRefs();
        var byName = refs.Where(r => r.Target is not null).ToDictionary(r => r.Name, r => r.Target!.Value);
        foreach (var r in refs.Where(r => r.Name == RefDatabase.Head).Concat(refs.Where(r => r.Name != RefDatabase.Head)))
        {
            if (!Wanted(r.Name)) continue;
            var line = new StringBuilder();
            if (r.SymbolicTarget is { } target)
            {
                if (byName.TryGetValue(target, out var id)) line.Append(id).Append(' ').Append(r.Name);
                else if (unborn) line.Append("unborn ").Append(r.Name);
                else continue;
                if (symrefs || line[0] == 'u') line.Append(" symref-target:").Append(target);
            }
            else
            {
                line.Append(r.Target).Append(' ').Append(r.Name);
                if (peel && Peel(r.Target!.Value) is { } peeled) line.Append(" peeled:").Append(peeled);
            }
            _writer.WriteLine(line.ToString());
        }
        _writer.Flush();
    }

    /// <summary>The object an annotated tag finally points at, or null for anything else.</summary>
    private ObjectId? Peel(ObjectId id)
    {
        ObjectId? peeled = null;
        while (store.Objects.TryLocate(id, out var location) && location.Type == ObjectType.Tag)
        {
            id = TagParser.Parse(store.Objects.Read(id, ObjectType.Tag)).Target;
            peeled = id;
        }
        return peeled;
    }

    private void Fetch(List<string> arguments)
    {
        var wants = new List<ObjectId>();
        var haves = new List<ObjectId>();
        var clientShallow = new List<ObjectId>();
        var deepenNot = new List<ObjectId>();
        bool done = false, thin = false, progress = true, includeTag = false, relative = false;
        int depth = 0;
        long? since = null;
        ObjectFilter? filter = null;
        foreach (var argument in arguments)
        {
            var (key, value) = Split(argument);
            switch (key)
            {
                case "want": wants.Add(ParseId(value)); break;
                case "have": haves.Add(ParseId(value)); break;
                case "shallow": clientShallow.Add(ParseId(value)); break;
                case "deepen":
                    if (!int.TryParse(value, System.Globalization.NumberStyles.None, null, out depth) || depth <= 0)
                        throw new ProtocolException($"invalid depth '{Printable.Of(value)}'");
                    break;
                case "deepen-relative": relative = true; break;
                case "deepen-since":
                    if (!long.TryParse(value, System.Globalization.NumberStyles.None, null, out var time) || time < 0)
                        throw new ProtocolException($"Invalid deepen-since: {Printable.Of(value)}");
                    since = time;
                    break;
                case "deepen-not": deepenNot.Add(ResolveDeepenNot(value)); break;
                case "filter":
                    if (filter is not null) throw new ProtocolException("multiple filter-specs cannot be combined");
                    filter = ObjectFilter.Parse(value);
                    break;
                case "done": done = true; break;
                case "thin-pack": thin = true; break;
                case "no-progress": progress = false; break;
                case "include-tag": includeTag = true; break;
                case "ofs-delta": break;
            }
        }
        CheckWants(wants);

        // Only a have this client may read is common: the store's other objects (other repos,
        // hidden branches) are not this repository's, and ACKing them would confirm they exist.
        var common = haves.Where(_readableObjects!.Contains).ToList();
        if (!done)
        {
            _writer.WriteLine("acknowledgments");
            if (common.Count == 0) _writer.WriteLine("NAK");
            foreach (var id in common) _writer.WriteLine("ACK " + id);
            if (common.Count == 0)
            {
                // Nothing in common yet: the client sends more haves in its next request.
                _writer.Flush();
                return;
            }
            _writer.WriteLine("ready");
            _writer.Delimiter();
        }

        var sideband = new SidebandStream(_writer, progress);
        // A shallow line naming a commit this client cannot read is ignored, as git ignores one it does not have.
        var shallow = new ShallowRequest(depth, relative, since, deepenNot, clientShallow.Where(IsReadableCommit).ToHashSet());
        Trace.Write($"fetch: {wants.Count} wants, {common.Count} common haves, depth {depth}; readable objects checked: {_readableObjects.Cost}");
        var walk = common.Count == 0 && filter is null && !shallow.Reports
            // A whole clone: the objects the wants reach, from the reachability bitmaps.
            ? new WalkResult(new ReachabilityIndex(store).Reachable(wants), [], [], [])
            : new ObjectWalk(store.Objects).Run(wants, common, shallow, filter, null);
        if (shallow.Reports)
        {
            _writer.WriteLine("shallow-info");
            foreach (var id in walk.Shallow) _writer.WriteLine("shallow " + id);
            foreach (var id in walk.Unshallow) _writer.WriteLine("unshallow " + id);
            _writer.Delimiter();
        }
        if (includeTag) AddTagsOf(walk.Objects);
        Trace.Write($"fetch: walk found {walk.Objects.Count} objects");

        _writer.WriteLine("packfile");
        sideband.Progress?.Invoke($"Enumerating objects: {walk.Objects.Count}, done.\n");
        var stats = new PackWriter(store.Objects).Write(sideband, walk.Objects, thin ? walk.ClientHas : null, sideband.Progress);
        Trace.Write($"fetch: pack written ({stats.Total} objects, {stats.Reused} reused)");
        sideband.Progress?.Invoke($"Total {stats.Total} (delta {stats.Deltas}), reused {stats.Reused} (delta {stats.ReusedDeltas}), pack-reused 0\n");
        sideband.Flush();
        _writer.Flush();
    }

    private bool IsReadableCommit(ObjectId id)
        => store.Objects.TryLocate(id, out var location) && location.Type == ObjectType.Commit && _readableObjects!.Contains(id);

    /// <summary>
    /// A ref name as <c>git fetch --shallow-exclude</c> sends it, resolved as git's expand_ref
    /// does (as given, then under refs/, refs/tags/, refs/heads/, refs/remotes/), among the refs
    /// this client may read, to the commit it names.
    /// </summary>
    private ObjectId ResolveDeepenNot(string name)
    {
        var refs = ReadableRefs().Where(r => r.Target is not null).ToDictionary(r => r.Name, r => r.Target!.Value);
        string[] candidates = [name, "refs/" + name, "refs/tags/" + name, "refs/heads/" + name, "refs/remotes/" + name, "refs/remotes/" + name + "/HEAD"];
        var found = candidates.Where(refs.ContainsKey).Select(c => refs[c]).ToList();
        if (found.Count > 1) throw new ProtocolException($"git upload-pack: ambiguous deepen-not: deepen-not {Printable.Of(name)}");
        if (found.Count == 0) throw new ProtocolException($"git upload-pack: deepen-not is not a ref: deepen-not {Printable.Of(name)}");
        var id = found[0];
        while (store.Objects.TryLocate(id, out var location) && location.Type == ObjectType.Tag)
            id = TagParser.Parse(store.Objects.Read(id, ObjectType.Tag)).Target;
        return id;
    }

    /// <summary>
    /// Only what this repo's readable refs reach may be asked for: objects are shared across repos.
    /// Beyond the tips (what a clone asks for), any object they reach, as protocol v2 allows:
    /// a partial clone fetches the blobs and trees it left out by their ids.
    /// </summary>
    private void CheckWants(List<ObjectId> wants)
    {
        if (wants.Count == 0) throw new ProtocolException("fetch request has no wants");
        var tips = new HashSet<ObjectId>();
        foreach (var r in ReadableRefs())
        {
            if (r.Target is not { } id) continue;
            tips.Add(id);
            if (Peel(id) is { } peeled) tips.Add(peeled);
        }
        foreach (var want in wants)
        {
            if (!tips.Contains(want) && !_readableObjects!.ContainsAnywhere(want)) throw new ProtocolException($"not our ref {want}");
        }
    }

    /// <summary>include-tag: annotated tags whose target is being sent go along.</summary>
    private void AddTagsOf(List<ObjectId> sending)
    {
        var set = sending.ToHashSet();
        foreach (var r in ReadableRefs())
        {
            if (r.Target is not { } id || set.Contains(id) || !r.Name.StartsWith("refs/tags/", StringComparison.Ordinal)) continue;
            if (Peel(id) is { } peeled && set.Contains(peeled))
            {
                sending.Add(id);
                set.Add(id);
            }
        }
    }

    /// <summary>The refs this principal may see; HEAD when the branch it names is one of them.</summary>
    private List<StoredRef> ReadableRefs()
        => store.Refs.List(_repoId).Where(r => _readable(r.SymbolicTarget ?? r.Name)).ToList();

    private static (string Key, string Value) Split(string argument)
    {
        int space = argument.IndexOf(' ');
        return space < 0 ? (argument, "") : (argument[..space], argument[(space + 1)..]);
    }

    private static ObjectId ParseId(string hex)
        => ObjectId.TryParse(hex, out var id) ? id : throw new ProtocolException($"invalid object id '{hex}'");
}
