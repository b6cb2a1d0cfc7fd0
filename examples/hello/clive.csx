// The model of this example: a small C# app and the library it uses, built, published for
// linux-x64, packed into a reproducible tarball, and run. Push this directory as a repo and run
// `clive up`: each step below is a cell that runs again only when what it reads changed.
//
// For completion in an editor, point it at the installed model API:
//   #r "/usr/local/lib/clive/Clive.Model.dll"   (or ~/.local/lib/clive/ when installed as a user)
using Clive.Model;

var greeting = Dotnet.Project("greeting", "Greeting/Greeting.csproj");
var hello = Dotnet.Project("hello", "Hello/Hello.csproj").DependsOn(greeting);

// hello.publish-linux-x64 and hello.tarball-linux-x64
hello.Tarball("linux-x64");

// Runs the built app and keeps what it printed: a comment-only change to Greeting.cs builds the
// same bytes, so this cell (and the tarball) does not run again.
Cells.Command("hello.run").From(hello.Build, "bin").Run("dotnet bin/Hello.dll > $CLIVE_OUT/greeting.txt");

// A value computed in C#: the source files and their sizes, stored with MessagePack.
Cells.Compute("sources", ctx => ctx.Files.ToDictionary(f => f, f => ctx.Read(f).Length)).Files("**/*.cs");
