using Clive.EngineHost;

return EngineCommands.Run(args);
