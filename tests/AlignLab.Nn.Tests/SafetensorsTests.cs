using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace AlignLab.Nn.Tests;

public class SafetensorsTests
{
    [Fact]
    public void FileFormatIsReadableByAnIndependentParser()
    {
        var net = Nets.Mlp(3, [4], 2, Activation.Relu, new Random(1));
        using var ms = new MemoryStream();
        Safetensors.Save(ms, net.Parameters.Select(p => new KeyValuePair<string, Tensor>(p.Name, p.Value)), new Dictionary<string, string> { ["format"] = "pt" });
        var bytes = ms.ToArray();

        // Parse the bytes by hand: u64 LE header length, JSON header, then the data section.
        var n = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(0, 8));
        Assert.Equal(0, n % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.Equal(headerText.TrimEnd(' ').Length, headerText.TrimEnd().Length);
        using var doc = JsonDocument.Parse(headerText);
        var dataStart = 8 + n;
        Assert.Equal("pt", doc.RootElement.GetProperty("__metadata__").GetProperty("format").GetString());
        var names = doc.RootElement.EnumerateObject().Select(p => p.Name).Where(s => s != "__metadata__").OrderBy(s => s, StringComparer.Ordinal).ToArray();
        Assert.Equal(["fc1.bias", "fc1.weight", "fc2.bias", "fc2.weight"], names);
        long end = 0;
        foreach (var p in net.Parameters)
        {
            var entry = doc.RootElement.GetProperty(p.Name);
            Assert.Equal("F32", entry.GetProperty("dtype").GetString());
            Assert.Equal(p.Shape.ToArray(), entry.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
            var off = entry.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Assert.Equal(p.Value.Length * 4, off[1] - off[0]);
            for (var i = 0; i < p.Value.Length; i++)
            {
                var v = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(dataStart + off[0] + (4 * i)), 4));
                Assert.Equal(p.Value[i], v);
            }

            end = Math.Max(end, off[1]);
        }

        Assert.Equal(bytes.Length, dataStart + end);
        Assert.Equal([4, 3], doc.RootElement.GetProperty("fc1.weight").GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray());
    }

    [Fact]
    public void ReadsAHandWrittenFileWithSpacePaddingAndMetadata()
    {
        // Built independently of the writer: header padded with spaces to a multiple of 8.
        var header = "{\"__metadata__\":{\"note\":\"hi\"},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]},\"a\":{\"dtype\":\"F32\",\"shape\":[1,3],\"data_offsets\":[0,12]}}";
        while (header.Length % 8 != 0)
        {
            header += " ";
        }

        using var ms = new MemoryStream();
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
        ms.Write(len);
        ms.Write(Encoding.UTF8.GetBytes(header));
        foreach (var f in new[] { 1f, 2f, 3f, -4f, 5.5f })
        {
            var b = new byte[4];
            BinaryPrimitives.WriteSingleLittleEndian(b, f);
            ms.Write(b);
        }

        ms.Position = 0;
        var meta = new Dictionary<string, string>();
        var tensors = Safetensors.Load(ms, meta);
        Assert.Equal("hi", meta["note"]);
        Assert.Equal([1, 3], tensors["a"].Shape.ToArray());
        Assert.Equal([1f, 2f, 3f], tensors["a"].Values.ToArray());
        Assert.Equal([-4f, 5.5f], tensors["b"].Values.ToArray());
    }

    [Fact]
    public void RoundTripRestoresAModel()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alignlab-nn-{Guid.NewGuid():N}.safetensors");
        try
        {
            var a = Nets.Cnn(2, 5, 5, [4], 3, [8], 3, Activation.Relu, new Random(1));
            var b = Nets.Cnn(2, 5, 5, [4], 3, [8], 3, Activation.Relu, new Random(2));
            Safetensors.Save(path, a);
            Safetensors.LoadInto(path, b);
            var x = TestData.Uniform(3, -1, 1, 2 * 2 * 5 * 5);
            var ya = new float[6];
            var yb = new float[6];
            a.Predict(x.Values, 2, ya);
            b.Predict(x.Values, 2, yb);
            Assert.Equal(ya, yb);
            var loaded = Safetensors.Load(path);
            Assert.Equal(a.Parameters.Count, loaded.Count);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void RejectsNonF32AndBadOffsets()
    {
        static MemoryStream Make(string header, int dataBytes)
        {
            while (header.Length % 8 != 0)
            {
                header += " ";
            }

            var ms = new MemoryStream();
            var len = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
            ms.Write(len);
            ms.Write(Encoding.UTF8.GetBytes(header));
            ms.Write(new byte[dataBytes]);
            ms.Position = 0;
            return ms;
        }

        using var f16 = Make("{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4);
        Assert.Throws<NotSupportedException>(() => Safetensors.Load(f16));
        using var bad = Make("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8);
        Assert.Throws<InvalidDataException>(() => Safetensors.Load(bad));
    }
}
