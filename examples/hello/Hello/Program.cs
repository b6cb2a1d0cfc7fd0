Console.WriteLine(Greeting.Text.For(args.Length > 0 ? args[0] : "world"));
