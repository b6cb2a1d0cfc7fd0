using Clive.EngineHost;

// The model host is started by the engine inside its sandbox, never by a user: no parser, no help.
if (args is ["model-host"]) return Clive.Engine.Sandboxing.ModelHostServer.Run(Console.OpenStandardInput(), Console.OpenStandardOutput());
return EngineCommands.Run(args);
