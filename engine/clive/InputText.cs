using System.Text;

namespace Clive.Cli;

/// <summary>
/// Text a command reads from a file named on its command line, or from standard input for "-":
/// bounded (a hostile file or pipe never fills memory), strict UTF-8, and one error line naming
/// the file. Shared by `keys add`, `trust add` and `entity set`.
/// </summary>
internal static class InputText
{
    public static string Read(string? path, long maxBytes, string what)
    {
        var name = Printable.Of(path ?? "-");
        byte[] bytes;
        try
        {
            using var input = path is null or "-" ? Console.OpenStandardInput() : File.OpenRead(path);
            using var buffer = new MemoryStream();
            var chunk = new byte[81920];
            for (int read; (read = input.Read(chunk)) > 0;)
            {
                if (buffer.Length + read > maxBytes) throw new UsageException($"{what} in '{name}' is larger than {maxBytes} bytes");
                buffer.Write(chunk, 0, read);
            }
            bytes = buffer.ToArray();
        }
        catch (FileNotFoundException)
        {
            throw new UsageException($"no such file: {name}");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read '{name}': {e.Message}");
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new UsageException($"{what} in '{name}' is not UTF-8 text");
        }
    }
}
