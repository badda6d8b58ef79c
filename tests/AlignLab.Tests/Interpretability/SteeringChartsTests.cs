using System.Xml.Linq;
using AlignLab.Agents;
using AlignLab.Interpretability;
using AlignLab.Interpretability.Steering;
using AlignLab.Reports;
using AlignLab.Scenarios;

namespace AlignLab.Tests.Interpretability;

/// <summary>The steering figures are well-formed SVG that draw every cell of the maze.</summary>
public sealed class SteeringChartsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alignlab-steer-charts-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Every_figure_is_well_formed_svg_and_the_maps_draw_every_cell()
    {
        var scenario = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var set = new Dictionary<string, string> { ["size"] = "5" };
        var world = scenario.Build(new BuildOptions(Distribution: "deploy", Set: set));
        var agent = new PpoAgent(world, new PpoOptions { Network = NetworkKind.Cnn, ConvChannels = [4, 4], Hidden = [8], NumEnvs = 2, NumSteps = 16, NumMinibatches = 2, Seed = 1 });
        var result = SteeringExperiment.Run(TrainedNetwork.FromAgent(scenario, set, agent), new SteeringOptions
        {
            Levels = 3,
            VectorLevels = 3,
            Vector = GoalVectorKind.Level,
            RetargetAll = true,
            VisitLevels = 1,
            Attribution = new ChannelAttributionOptions { Resamples = 1, RandomDirections = 5 },
        });

        var visits = XElement.Parse(SteeringCharts.Visits(result, 0));
        Assert.Equal(2 * 5 * 5, visits.Descendants("rect").Count());
        var retarget = XElement.Parse(SteeringCharts.Retarget(result));
        Assert.Equal(5 * 5, retarget.Descendants("rect").Count());
        Assert.Equal("svg", XElement.Parse(SteeringCharts.DistanceBuckets(result)).Name.LocalName);

        var files = SteeringCharts.WriteAll(result, _dir);
        Assert.Equal(["buckets.svg", "visits-0.svg", "retarget.svg"], files.Select(Path.GetFileName));
        Assert.All(files, f => Assert.Equal("svg", XDocument.Load(f).Root!.Name.LocalName));
        Assert.Equal(string.Empty, SteeringCharts.Retarget(result with { Retarget = null }));
    }
}
