using System.Text.Json.Nodes;
using AlignLab.Interpretability;
using AlignLab.Reports;
using AlignLab.Runs;
using AlignLab.Tests.Cli;

namespace AlignLab.Tests.Interpretability;

/// <summary><c>alignlab activations</c> and <c>alignlab probe</c> on a stored run, as a user runs them.</summary>
public sealed class InterpretabilityCliTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-probe-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void AStoredPpoRunsLayersAreRecordedAndProbed()
    {
        var store = Path.Combine(_dir, "runs.db");
        var (code, _, error) = CliTests.Run("train", "CheeseInTheCorner-v0", "--agent", "ppo", "--preset", "cnn", "--set", "size=5", "--steps", "1024", "--store", store);
        Assert.True(code == 0, error);

        var file = Path.Combine(_dir, "acts.safetensors");
        (code, _, error) = CliTests.Run("activations", "1", "--layer", "1", "--levels", "40", "--store", store, "--out", file);
        Assert.True(code == 0, error);
        Assert.True(new FileInfo(file).Length > 0);

        (code, var output, error) = CliTests.Run("probe", "1", "--target", "cheese", "--levels", "80", "--iterations", "20", "--store", store, "--json");
        Assert.True(code == 0, error);
        Assert.NotNull(JsonNode.Parse(output));

        (code, _, error) = CliTests.Run("probe", "1", "--target", "chese", "--levels", "80", "--store", store);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));

        (code, output, error) = CliTests.Run("probe", "1", "--target", "cheese", "--probe", "shared", "--levels", "80", "--store", store, "--json");
        Assert.True(code == 0, error);
        var layers = JsonNode.Parse(output)!["layers"]!.AsArray();
        Assert.Equal(["input", "conv1", "cact1", "conv2", "cact2"], layers.Select(l => (string)l!["layer"]!));
        Assert.All(layers, l => Assert.Equal(3, l!["shape"]!.AsArray().Count));

        // Both probes were kept as analyses of run 1, with the accuracies they printed; --no-store keeps nothing.
        (code, _, error) = CliTests.Run("probe", "1", "--target", "cheese", "--layer", "conv1", "--levels", "80", "--iterations", "5", "--store", store, "--no-store");
        Assert.True(code == 0, error);
        using (var runs = RunStore.OpenReadOnly(store))
        {
            var stored = runs.Analyses(1, AnalysisKinds.Probe).Select(a => AnalysisJson.Read<ProbeAnalysis>(a).Analysis).ToList();
            Assert.Equal([ProbeReadout.Full, ProbeReadout.Shared], stored.Select(a => a.Readout));
            var shared = stored[1];
            Assert.Equal("cheese", shared.Target);
            Assert.Equal(layers.Select(l => (string)l!["layer"]!), shared.Layers.Select(l => l.Layer));
            Assert.All(layers.Zip(shared.Layers), pair => Assert.Equal((double)pair.First!["accuracy"]!, pair.Second.Report.Probe.Accuracy.Mean, 1e-6));
        }

        (code, _, error) = CliTests.Run("probe", "1", "--target", "cheese", "--probe", "shared", "--layer", "fc1", "--levels", "80", "--store", store);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("--probe full", error, StringComparison.Ordinal);

        (code, _, error) = CliTests.Run("probe", "1", "--target", "corner-step", "--probe", "shared", "--levels", "80", "--store", store);
        Assert.Equal(2, code);
        Assert.Single(error.TrimEnd().Split('\n'));
        Assert.Contains("--probe full", error, StringComparison.Ordinal);
    }
}
