using AlignLab.Scenarios.Reading;

namespace AlignLab.Scenarios;

/// <summary>
/// Reads a scenario file (see <c>scenarios/README.md</c>) in three steps: the YAML is read into
/// located syntax records (<see cref="YamlScenarioReader"/>), compiled into a
/// <see cref="ScenarioDefinition"/> (<see cref="ScenarioCompiler"/>), and built once for every
/// distribution so that unknown components, events and arguments are reported when the file is
/// read. Every problem is reported as one <see cref="ScenarioException"/> naming the file, line,
/// column and what is wrong.
/// </summary>
public static class ScenarioParser
{
    /// <summary>The largest scenario file read (1 MiB), checked before reading; no real scenario comes near it.</summary>
    public const int MaxFileBytes = 1 << 20;

    /// <summary>Reads a scenario file from disk.</summary>
    /// <exception cref="ScenarioException">The file is missing, unreadable, larger than <see cref="MaxFileBytes"/> or malformed.</exception>
    public static ScenarioDefinition ParseFile(string path)
    {
        byte[] bytes;
        try
        {
            bytes = ReadCapped(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ScenarioException(path, 0, 0, $"cannot read the file: {e.Message}");
        }

        return Parse(Decode(bytes, path), path);
    }

    /// <summary>
    /// The text of a scenario file's bytes, which must be UTF-8 (a byte-order mark is skipped);
    /// anything else is refused at the line and column of the first byte that is not UTF-8.
    /// </summary>
    /// <exception cref="ScenarioException">The bytes are not valid UTF-8.</exception>
    internal static string Decode(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            bytes = bytes[3..];
        }

        if (System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return System.Text.Encoding.UTF8.GetString(bytes);
        }

        // Find the first invalid byte: decode without replacement and stop where the data is bad.
        var chars = new char[bytes.Length];
        var status = System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out var read, out var written, replaceInvalidSequences: false);
        var good = chars.AsSpan(0, written);
        var line = good.Count('\n') + 1;
        var column = good.Length - (good.LastIndexOf('\n') + 1) + 1;
        var reason = status == System.Buffers.OperationStatus.NeedMoreData ? "the file ends in the middle of a character" : $"byte 0x{bytes[read]:X2} is not valid UTF-8";
        throw new ScenarioException(source, line, column, $"{reason}; scenario files must be UTF-8 (is it Latin-1 or UTF-16? save it as UTF-8).");
    }

    // Reads at most MaxFileBytes + 1 bytes, so a huge file, or an endless one such as
    // /dev/zero or a pipe, is refused without reading it whole.
    internal static byte[] ReadCapped(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var buffer = new byte[MaxFileBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = stream.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += read;
        }

        if (length > MaxFileBytes)
        {
            throw new ScenarioException(path, 0, 0, $"the file is larger than {MaxFileBytes / (1 << 20)} MB ({MaxFileBytes:N0} bytes), the most a scenario file may be.");
        }

        return buffer[..length];
    }

    /// <summary>
    /// Reads a scenario from YAML text; <paramref name="source"/> names it in error messages.
    /// Components are looked up in <paramref name="components"/> (the built-in registry by default).
    /// </summary>
    /// <exception cref="ScenarioException">The text is malformed.</exception>
    public static ScenarioDefinition Parse(string text, string source, ComponentRegistry? components = null)
    {
        var definition = ScenarioCompiler.Compile(YamlScenarioReader.Read(text, source));

        // Build once with the defaults so that unknown components, events and arguments are
        // reported when the file is read, not when it is first played.
        foreach (var name in definition.DistributionNames)
        {
            var world = definition.Build(definition.LevelCount > 0 && !definition.GeneratorEntries.ContainsKey(name) ? new BuildOptions(Level: 0) : new BuildOptions(Distribution: name), components);
            Preferences.FeatureTermReader.Resolve(definition.ObservedTerms, world);
        }

        return definition;
    }
}
