using System.Xml.Linq;
using AlignLab.Reports;
using AlignLab.Scenarios;
using AlignLab.TestDesign;
using AlignLab.Tests.Support;

namespace AlignLab.Tests.TestDesign;

/// <summary>The report fragment of designed tests: well-formed markup with a posterior chart and the designed levels drawn.</summary>
public sealed class TestDesignChartsTests
{
    [Fact]
    public void TheSectionDrawsEachStrategysPosteriorAndItsFirstLevels()
    {
        var cheese = ScenarioRegistry.BuiltIn.Get("CheeseInTheCorner-v0");
        var report = RedTeam.Run(cheese, ScriptedPolicies.Seek(7, _ => 12), new RedTeamOptions(Budget: 6, Seeds: 1, Suite: 3, Set: new Dictionary<string, string> { ["size"] = "7" }) { Strategies = [TestStrategy.Divergence, TestStrategy.Random] });
        var html = TestDesignCharts.Section(report, levels: 2);
        var root = XElement.Parse(html);
        var svgs = root.Descendants("svg").ToList();
        Assert.Equal(2 * (1 + 2), svgs.Count);
        Assert.Equal(2, root.Descendants("polyline").Count(p => p.Parent == svgs[0]));
        Assert.Equal(49, svgs[1].Elements("rect").Count());
        Assert.Single(svgs[1].Elements("circle"));
        Assert.Equal(3, root.Descendants("tr").Count());
    }
}
