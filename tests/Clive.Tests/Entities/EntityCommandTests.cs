using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Entities;

/// <summary>`clive entity get|set|log|watch` with the real binary, on a store whose model declared the entity's type.</summary>
public sealed class EntityCommandTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public EntityCommandTests()
    {
        _sandbox.Clive("repo", "create", "demo").EnsureSuccess("clive repo create");
        using var store = _sandbox.OpenStore();
        store.EntityTypes.Declare("demo", "counter", EntityStoreTests.CounterSchema, hasMerge: false, "main@0000");
    }

    public void Dispose() => _sandbox.Dispose();

    private ProcessResult Set(string json, params string[] options) =>
        ProcessRunner.Run(Binaries.Clive, ["entity", "set", "demo", "counter", .. options],
            _sandbox.Root, _sandbox.Environment, Encoding.UTF8.GetBytes(json));

    [Fact]
    public void Set_ThenGet_PrintsTheValue_AndLogSaysWhoAndWhy()
    {
        var version = Set("""{"Count": 4}""", "-m", "restock").EnsureSuccess("clive entity set").Stdout.Trim();

        Assert.Equal("{\n  \"Count\": 4\n}\n", _sandbox.Clive("entity", "get", "demo", "counter").EnsureSuccess("get").Stdout);
        using var json = JsonDocument.Parse(_sandbox.Clive("entity", "get", "demo", "counter", "--json").EnsureSuccess("get --json").Stdout);
        Assert.Equal(version, json.RootElement.GetProperty("version").GetString());
        Assert.Equal(4, json.RootElement.GetProperty("value").GetProperty("Count").GetInt32());
        // The author is the user as git knows them (the sandbox's GIT_AUTHOR_*).
        Assert.Equal("Ada Author <ada@example.com>", json.RootElement.GetProperty("author").GetString());

        Set("""{"Count": 3}""", "-m", "sold one").EnsureSuccess("second set");
        var log = _sandbox.Clive("entity", "log", "demo", "counter").EnsureSuccess("log").Stdout;
        Assert.True(log.IndexOf("sold one", StringComparison.Ordinal) < log.IndexOf("restock", StringComparison.Ordinal), log);
        Assert.Contains("Author: Ada Author <ada@example.com>", log);
        using var logJson = JsonDocument.Parse(_sandbox.Clive("entity", "log", "demo", "counter", "--json").EnsureSuccess("log --json").Stdout);
        Assert.Equal(["sold one", "restock"], logJson.RootElement.EnumerateArray().Select(v => v.GetProperty("message").GetString()));
    }

    [Fact]
    public void Set_FromAFile_Works()
    {
        File.WriteAllText(_sandbox.PathOf("value.json"), """{"Count": 8}""");
        _sandbox.Clive("entity", "set", "demo", "counter", "value.json").EnsureSuccess("set from a file");
        Assert.Contains("\"Count\": 8", _sandbox.Clive("entity", "get", "demo", "counter").Stdout);
    }

    [Theory]
    [InlineData("""{"Count": "ten"}""", "fatal: $.Count: expected a 32-bit integer, got \"ten\"")]
    [InlineData("""{"Count": 1, "Extra": 2}""", "fatal: $.Extra: Demo.Counter has no member \"Extra\" (it has Count)")]
    [InlineData("""{}""", "fatal: $.Count: missing; Demo.Counter.Count is not nullable")]
    [InlineData("""{"Count": 1""", "fatal: $: not valid JSON")]
    public void InvalidJson_IsOneFatalLine_AndWritesNothing(string json, string message)
    {
        var before = _sandbox.StoreSnapshot();
        var result = Set(json);
        Assert.NotEqual(0, result.ExitCode);
        Assert.StartsWith(message, result.Stderr);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void UndeclaredEntity_IsRefused_WithOneLine()
    {
        var before = _sandbox.StoreSnapshot();
        var result = ProcessRunner.Run(Binaries.Clive, ["entity", "set", "demo", "nobody-declares-me"],
            _sandbox.Root, _sandbox.Environment, "{}"u8.ToArray());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal("fatal: no model of repository 'demo' declares entity 'nobody-declares-me', so there is no type to check it against (declare it in clive.csx; `clive up` records its type)\n", result.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Theory]
    [InlineData("../../etc/passwd")]
    [InlineData("a\u001b[2Jb")]
    [InlineData("x.lock")]
    public void HostileName_IsOneFatalLine(string name)
    {
        var before = _sandbox.StoreSnapshot();
        foreach (var verb in new[] { "get", "set", "log" })
        {
            var result = ProcessRunner.Run(Binaries.Clive, ["entity", verb, "demo", name],
                _sandbox.Root, _sandbox.Environment, "{\"Count\": 1}"u8.ToArray());
            Assert.NotEqual(0, result.ExitCode);
            Assert.StartsWith("fatal: invalid entity name", result.Stderr);
            Assert.DoesNotContain("\u001b", result.Stderr);
            Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        }
        Assert.Equal(before, _sandbox.StoreSnapshot());
    }

    [Fact]
    public void StaleExpect_IsRefused_AndWritesNothing()
    {
        var first = Set("""{"Count": 1}""").EnsureSuccess("first").Stdout.Trim();
        Set("""{"Count": 2}""", "--expect", first).EnsureSuccess("second on the first");
        var before = _sandbox.StoreSnapshot();

        var stale = Set("""{"Count": 9}""", "--expect", first);
        Assert.NotEqual(0, stale.ExitCode);
        Assert.StartsWith($"fatal: entity 'counter' changed: expected version {first[..12]}, it is now ", stale.Stderr);
        Assert.Equal(before, _sandbox.StoreSnapshot());
        Assert.StartsWith("fatal: --expect: 'abc' is not a full commit id", Set("""{"Count": 9}""", "--expect", "abc").Stderr);
    }

    [Fact]
    public void Watch_PrintsEachNewVersion_AsItIsWritten()
    {
        Set("""{"Count": 1}""").EnsureSuccess("first");
        using var watch = ProcessRunner.Start(Binaries.Clive, ["entity", "watch", "demo", "counter", "--json"], _sandbox.Root, _sandbox.Environment);
        var output = new StringBuilder();
        watch.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        watch.BeginOutputReadLine();
        try
        {
            WaitFor(() => Lines(output).Count == 1, "the current version");
            var second = Set("""{"Count": 2}""").EnsureSuccess("second").Stdout.Trim();
            WaitFor(() => Lines(output).Count == 2, "the new version");
            using var printed = JsonDocument.Parse(Lines(output)[1]);
            Assert.Equal(second, printed.RootElement.GetProperty("version").GetString());
            Assert.Equal(2, printed.RootElement.GetProperty("value").GetProperty("Count").GetInt32());
        }
        finally
        {
            watch.Kill();
        }

        void WaitFor(Func<bool> condition, string what)
        {
            var clock = Stopwatch.StartNew();
            while (!condition())
            {
                if (clock.Elapsed > TimeSpan.FromSeconds(30)) throw new Xunit.Sdk.XunitException($"watch never printed {what}:\n{output}");
                if (watch.HasExited) throw new Xunit.Sdk.XunitException($"watch exited: {watch.StandardError.ReadToEnd()}");
                Thread.Sleep(20);
            }
        }
    }

    private static List<string> Lines(StringBuilder output)
    {
        lock (output) return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
    }

    /// <summary>A merge function's conflict report is what get and status say, not only the engine's log.</summary>
    [Fact]
    public void Conflict_ShowsTheMergeFunctionsReason_InGetAndStatus()
    {
        static byte[] Counter(int count) => Clive.Core.Values.ValueJson.ToMessagePack($$"""{"Count": {{count}}}""", EntityStoreTests.CounterSchema);
        var ada = new Clive.Git.CommitIdentity("Ada <ada@example.com>", "Ada <ada@example.com>");
        using (var store = _sandbox.OpenStore())
        {
            var first = store.Entities.Write("demo", "counter", Counter(1), Clive.Git.ObjectId.Zero, ada, new Clive.Core.Store.Entities.EntityMessage("one"));
            var theirs = store.Entities.Write("demo", "counter", Counter(3), first, ada, new Clive.Core.Store.Entities.EntityMessage("theirs"));
            using (var transaction = store.BeginRefTransaction("test", "diverge"))
            {
                transaction.Update("demo", [new Clive.Store.Refs.RefUpdate("refs/clive/entities/counter", theirs, first)], atomic: true);
                transaction.Commit();
            }
            store.Entities.Write("demo", "counter", Counter(2), first, ada, new Clive.Core.Store.Entities.EntityMessage("ours"));
            store.Entities.KeepAsConflict("demo", "counter", theirs, "clive-engine", "Count: both changed it\n(2 here, 3 there)");
        }
        const string reason = "(Count: both changed it (2 here, 3 there)); merge them";

        Assert.Contains(reason, _sandbox.Clive("entity", "get", "demo", "counter").EnsureSuccess("get").Stderr);
        var json = JsonDocument.Parse(_sandbox.Clive("entity", "get", "--json", "demo", "counter").EnsureSuccess("get --json").Stdout).RootElement;
        Assert.Equal("Count: both changed it (2 here, 3 there)", json.GetProperty("conflict_reason").GetString());
        Assert.Contains(reason, _sandbox.Clive("status").EnsureSuccess("status").Stdout);
        var status = JsonDocument.Parse(_sandbox.Clive("status", "--json").EnsureSuccess("status --json").Stdout).RootElement;
        Assert.Equal("Count: both changed it (2 here, 3 there)", status.GetProperty("entity_conflicts")[0].GetProperty("reason").GetString());
    }
}
