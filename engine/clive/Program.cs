using Clive.Cli;

return CliApplication.Run(args);
