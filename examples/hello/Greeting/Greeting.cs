namespace Greeting;

// The text the app prints.
public static class Text
{
    public static string For(string name) => $"hello, {name}, from a cell";
}
