using System.Text;
using System.Text.Json;
using Clive.Engine.Inputs;
using Clive.Git;
using Clive.Store.Cells;
using Clive.Tests.Fixtures;
using Xunit;

namespace Clive.Tests.Engine;

/// <summary>
/// Keys that explain themselves: a key's fields are framed, so inputs that would run together when
/// concatenated hash apart; and `clive why` names the fields that changed since a cell's previous run.
/// </summary>
public sealed class CellKeyTests : IDisposable
{
    private readonly GitSandbox _sandbox = new();

    public void Dispose() => _sandbox.Dispose();

    [Fact]
    public void FieldsThatConcatenateAlikeGiveDifferentKeys()
    {
        var one = new CellKey([new KeyField("files", "src/a", "bc")]);
        var other = new CellKey([new KeyField("files", "src/ab", "c")]);
        Assert.Equal(string.Concat(one.Fields.Select(f => f.Kind + f.Subject + f.Value)), string.Concat(other.Fields.Select(f => f.Kind + f.Subject + f.Value)));
        Assert.NotEqual(one.Hex, other.Hex);
        // Stored and read back, a key is the same key, whatever its strings hold.
        var odd = new CellKey([new KeyField("ref", "\"a\\tb\"\n", "x\ty\\n")]);
        Assert.Equal(odd.Hex, CellKey.Parse(odd.ToText()).Hex);
    }

    [Fact]
    public void FileSetsWhosePathsAndIdsConcatenateAlikeHaveDifferentDigests()
    {
        // Mode 040000 is the bytes 00 40 00 00 and this id is 20 ASCII letters: all valid in a path,
        // so without framing one file "a" then "b" reads exactly as a single file of the longer name.
        var id = new ObjectId(Encoding.ASCII.GetBytes("xxxxxxxxxxxxxxxxxxxx"));
        var two = new FileSet([new FileEntry("a", 0x4000, id), new FileEntry("b", 0x4000, id)]);
        var oneLongName = "a" + Encoding.UTF8.GetString([0x00, 0x40, 0x00, 0x00]) + "xxxxxxxxxxxxxxxxxxxx" + "b";
        var one = new FileSet([new FileEntry(oneLongName, 0x4000, id)]);
        Assert.NotEqual(Convert.ToHexString(two.Digest), Convert.ToHexString(one.Digest));
    }

    [Fact]
    public void CliveWhyNamesTheFieldsThatChangedSinceTheCellsPreviousRun()
    {
        const string model = """
            var upper = Cells.Command("upper").Files("src/*.txt").Run("cat src/*.txt | tr a-z A-Z > $CLIVE_OUT/upper.txt");
            Cells.Command("count").From(upper).Files("other.txt").Run("wc -c < upper/upper.txt > $CLIVE_OUT/count");
            """;
        _sandbox.NewRepo("work", ("src/a.txt", "hello\n"), ("other.txt", "x\n"), ("clive.csx", model));
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        using var engine = new EngineProcess(_sandbox);
        engine.WaitForCells("demo", CellState.Succeeded, "upper", "count");
        engine.WaitIdle("demo");

        var first = _sandbox.Clive("why", "upper").EnsureSuccess("clive why");
        Assert.Contains("is its first: every field of its key is new", first.Stdout);
        Assert.Contains("added    engine: clive-engine/4", first.Stdout);

        var digestBefore = Field(_sandbox.Clive("why", "upper", "--json").EnsureSuccess("clive why --json").Stdout, "files");
        _sandbox.Commit("work", "src/a.txt", "bye\n");
        _sandbox.GitOk("work", "push", "-q", GitSandbox.Url("demo"), "main");
        engine.Wait(() => engine.Runs("demo").GetValueOrDefault("count") == 2, "count to run after src/a.txt changed");
        engine.WaitIdle("demo");

        var upper = _sandbox.Clive("why", "upper").EnsureSuccess("clive why").Stdout;
        Assert.Matches($"changed  files \"src/\\*\\.txt\": {digestBefore.After} -> [0-9a-f]{{64}}\n", upper);
        Assert.Equal(2, upper.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);

        // count: only its input from upper changed (not other.txt, not its declaration).
        using var json = JsonDocument.Parse(_sandbox.Clive("why", "count", "--repo", "demo", "--branch", "main", "--json").EnsureSuccess("clive why --json").Stdout);
        var changes = json.RootElement.GetProperty("changes").EnumerateArray().ToList();
        var change = Assert.Single(changes);
        Assert.Equal("changed", change.GetProperty("change").GetString());
        Assert.Equal("cell", change.GetProperty("field").GetString());
        Assert.Equal("upper", change.GetProperty("subject").GetString());
        Assert.True(json.RootElement.GetProperty("previous").GetProperty("id").GetInt64() < json.RootElement.GetProperty("run").GetProperty("id").GetInt64());

        var missing = _sandbox.Clive("why", "nosuch");
        Assert.Equal(128, missing.ExitCode);
        Assert.Equal("fatal: no cell 'nosuch' (see clive status)\n", missing.Stderr);
    }

    /// <summary>The first change of kind <paramref name="field"/> in `clive why --json`.</summary>
    private static (string? Before, string? After) Field(string json, string field)
    {
        using var document = JsonDocument.Parse(json);
        var change = document.RootElement.GetProperty("changes").EnumerateArray().First(c => c.GetProperty("field").GetString() == field);
        return (change.TryGetProperty("before", out var before) ? before.GetString() : null, change.GetProperty("after").GetString());
    }
}
