using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace AlignLab.Nn;

/// <summary>
/// Reads and writes the safetensors format: an 8-byte little-endian header length N, N bytes of JSON
/// (<c>{"name":{"dtype":"F32","shape":[..],"data_offsets":[begin,end]}, "__metadata__":{..}}</c>, padded with
/// spaces to a multiple of 8), then the raw little-endian data. Only F32 tensors are supported.
/// </summary>
public static class Safetensors
{
    private const string MetadataKey = "__metadata__";

    /// <summary>Writes tensors to a file, ordered by name.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="tensors">Tensors keyed by name (e.g. <c>fc1.weight</c>).</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        using var fs = File.Create(path);
        Save(fs, tensors, metadata);
    }

    /// <summary>Writes every parameter of <paramref name="module"/> under its full name.</summary>
    /// <param name="path">The file to create or overwrite.</param>
    /// <param name="module">The module whose parameters are saved.</param>
    /// <param name="metadata">Optional string metadata.</param>
    public static void Save(string path, Module module, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        Save(path, module.Parameters.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value)), metadata);
    }

    /// <summary>Writes tensors to a stream, ordered by name.</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="tensors">Tensors keyed by name.</param>
    /// <param name="metadata">Optional string metadata stored under <c>__metadata__</c>.</param>
    public static void Save(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensors);
        var items = tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in items)
        {
            if (string.IsNullOrEmpty(name) || name == MetadataKey || !names.Add(name))
            {
                throw new ArgumentException($"Tensor name '{name}' is empty, reserved or duplicated.", nameof(tensors));
            }
        }

        using var headerStream = new MemoryStream();
        using (var w = new Utf8JsonWriter(headerStream))
        {
            w.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                w.WriteStartObject(MetadataKey);
                foreach (var (k, v) in metadata.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                {
                    w.WriteString(k, v);
                }

                w.WriteEndObject();
            }

            long offset = 0;
            foreach (var (name, t) in items)
            {
                w.WriteStartObject(name);
                w.WriteString("dtype", "F32");
                w.WriteStartArray("shape");
                foreach (var d in t.Shape)
                {
                    w.WriteNumberValue(d);
                }

                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(offset);
                offset += (long)t.Length * sizeof(float);
                w.WriteNumberValue(offset);
                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        var header = headerStream.ToArray();
        var padded = (header.Length + 7) & ~7;
        Span<byte> len = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
        stream.Write(len);
        stream.Write(header);
        for (var i = header.Length; i < padded; i++)
        {
            stream.WriteByte((byte)' ');
        }

        foreach (var (_, t) in items)
        {
            WriteFloats(stream, t.Values);
        }
    }

    /// <summary>Reads every tensor of a file.</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="metadata">When not null, receives the <c>__metadata__</c> entries.</param>
    /// <returns>Tensors keyed by name.</returns>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file (truncated, a malformed header, offsets that do not fit); the message starts with the path.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype other than F32; the message starts with the path.</exception>
    public static Dictionary<string, Tensor> Load(string path, IDictionary<string, string>? metadata = null)
    {
        using var fs = File.OpenRead(path);
        try
        {
            return Load(fs, metadata);
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"{path}: {e.Message}", e);
        }
    }

    /// <summary>Reads every tensor of a safetensors stream.</summary>
    /// <param name="stream">The source, positioned at the start of the file.</param>
    /// <param name="metadata">When not null, receives the <c>__metadata__</c> entries.</param>
    /// <returns>Tensors keyed by name.</returns>
    /// <exception cref="InvalidDataException">The stream is not a valid safetensors file: it ends early, its header is not a JSON object of tensor entries, or an entry's shape and offsets do not fit the data.</exception>
    /// <exception cref="NotSupportedException">A tensor has a dtype other than F32.</exception>
    public static Dictionary<string, Tensor> Load(Stream stream, IDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            return Read(stream, metadata);
        }
        catch (EndOfStreamException e)
        {
            throw new InvalidDataException("not a safetensors file: it ends before its header does.", e);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"not a safetensors file: the header is not valid JSON ({e.Message}).", e);
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            // JsonElement accessors (a missing or mistyped dtype, shape or data_offsets) and Tensor's shape checks.
            throw new InvalidDataException($"not a safetensors file: a tensor entry is malformed ({e.Message}).", e);
        }
    }

    private static Dictionary<string, Tensor> Read(Stream stream, IDictionary<string, string>? metadata)
    {
        Span<byte> len = stackalloc byte[8];
        stream.ReadExactly(len);
        var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(len);
        if (headerLength > 100_000_000)
        {
            throw new InvalidDataException($"safetensors header length {headerLength} is implausible.");
        }

        var header = new byte[headerLength];
        stream.ReadExactly(header);
        using var ms = new MemoryStream();
        stream.CopyTo(ms);
        var data = ms.GetBuffer().AsSpan(0, (int)ms.Length);
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(header);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException("safetensors header is not a JSON object.");
        }

        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == MetadataKey)
            {
                if (metadata is not null)
                {
                    foreach (var m in prop.Value.EnumerateObject())
                    {
                        metadata[m.Name] = m.Value.GetString() ?? string.Empty;
                    }
                }

                continue;
            }

            var dtype = prop.Value.GetProperty("dtype").GetString();
            if (dtype != "F32")
            {
                throw new NotSupportedException($"Tensor '{prop.Name}' has dtype {dtype}; only F32 is supported.");
            }

            var shape = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long count = 1;
            foreach (var d in shape)
            {
                count *= d;
            }

            if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] > data.Length || offsets[1] - offsets[0] != count * sizeof(float))
            {
                throw new InvalidDataException($"Tensor '{prop.Name}' has data_offsets inconsistent with its shape or the file size.");
            }

            var t = new Tensor(shape);
            ReadFloats(data.Slice((int)offsets[0], (int)(offsets[1] - offsets[0])), t.Span);
            result[prop.Name] = t;
        }

        return result;
    }

    /// <summary>Loads a file into the parameters of <paramref name="module"/> by full name (every parameter must be present).</summary>
    /// <param name="path">The safetensors file.</param>
    /// <param name="module">The module whose parameters are overwritten.</param>
    /// <exception cref="InvalidDataException">The file is not a valid safetensors file, lacks a parameter, or has one with another shape.</exception>
    public static void LoadInto(string path, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var state = Load(path);
        foreach (var p in module.Parameters)
        {
            if (!state.TryGetValue(p.Name, out var t))
            {
                throw new InvalidDataException($"'{path}' has no tensor named '{p.Name}'.");
            }

            if (!t.HasShape(p.Shape))
            {
                throw new InvalidDataException($"'{p.Name}': shape mismatch: the file has {Tensor.FormatShape(t.Shape)} but the parameter is {Tensor.FormatShape(p.Shape)}.");
            }

            p.Value.CopyFrom(t.Values);
        }
    }

    private static void WriteFloats(Stream stream, ReadOnlySpan<float> values)
    {
        if (BitConverter.IsLittleEndian)
        {
            stream.Write(MemoryMarshal.AsBytes(values));
            return;
        }

        Span<byte> b = stackalloc byte[4];
        foreach (var v in values)
        {
            BinaryPrimitives.WriteSingleLittleEndian(b, v);
            stream.Write(b);
        }
    }

    private static void ReadFloats(ReadOnlySpan<byte> bytes, Span<float> dst)
    {
        for (var i = 0; i < dst.Length; i++)
        {
            dst[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes.Slice(i * 4, 4));
        }
    }
}
