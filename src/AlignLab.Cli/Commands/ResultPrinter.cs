using System.Text.Json.Nodes;
using AlignLab.Diagnostics;
using AlignLab.Experiments;
using AlignLab.Reports;

namespace AlignLab.Cli.Commands;

/// <summary>Prints an experiment's results as text or JSON (shared by train, diagnose and demo).</summary>
internal static class ResultPrinter
{
    public static void Print(ExperimentResult r)
    {
        var spec = r.Spec;
        Console.WriteLine();
        Console.WriteLine($"{r.ScenarioId}: {spec.Agent}, {r.StepsTrained:N0} steps, seed {spec.Seed}, trained in {r.TrainingTime.TotalSeconds:0.0} s");
        Console.WriteLine($"  train (exact over {r.Train.Reward.N} level(s)): reward {N(r.Train.Reward.Mean)} (score {r.Train.RewardScore}), intended {N(r.Train.Intended.Mean)} (score {r.Train.IntendedScore})");
        Console.WriteLine($"  observed outer gap: {N(r.Train.ObservedOuterGap)}    specification gap of a perfect reward optimiser: {N(r.Specification.GapBest)} to {N(r.Specification.GapWorst)}");
        if (r.Diagnosis.Distributions.Count > 1)
        {
            Console.WriteLine("  goal attribution (normalised exact scores, mean [95% CI] over levels; achieved = fraction of sampled episodes):");
            foreach (var d in r.Diagnosis.Distributions)
            {
                var goals = string.Join("  ", d.Goals.Select(g => $"{g.Key} {g.Value} achieved {N(d.Achieved.GetValueOrDefault(g.Key)?.Mean ?? double.NaN)}"));
                Console.WriteLine($"    {d.Distribution,-8} reward {d.Reward}  |  {goals}  → {d.AttributedGoal}");
            }

            Console.WriteLine($"  generalisation gap: {N(r.Diagnosis.GeneralisationGap)}; {r.Diagnosis.Classification.Describe()} ({r.Diagnosis.Reason})");
        }

        Console.WriteLine($"  verdict: outer {Cell(r.Verdict.OuterAligned)}, inner {Cell(r.Verdict.InnerAligned)}");
    }

    public static JsonObject Json(ExperimentResult r)
    {
        var distributions = new JsonArray();
        foreach (var d in r.Diagnosis.Distributions)
        {
            var goals = new JsonObject();
            foreach (var (name, estimate) in d.Goals)
            {
                goals[name] = new JsonObject
                {
                    ["score"] = J(estimate.Mean),
                    ["low"] = J(estimate.Low),
                    ["high"] = J(estimate.High),
                    ["n"] = estimate.N,
                    ["achieved"] = J(d.Achieved.GetValueOrDefault(name)?.Mean ?? double.NaN),
                };
            }

            distributions.Add(new JsonObject
            {
                ["distribution"] = d.Distribution,
                ["score_reward"] = J(d.Reward.Mean),
                ["score_reward_low"] = J(d.Reward.Low),
                ["score_reward_high"] = J(d.Reward.High),
                ["score_intended"] = J(d.Intended.Mean),
                ["levels"] = d.Reward.N,
                ["goals"] = goals,
                ["attributed_goal"] = d.AttributedGoal,
            });
        }

        var checks = new JsonArray();
        foreach (var c in r.Verdict.Checks)
        {
            checks.Add(new JsonObject { ["axis"] = c.Axis == Reports.VerdictAxis.Outer ? "outer" : "inner", ["metric"] = c.Metric, ["value"] = J(c.Value), ["threshold"] = c.Threshold, ["at_most"] = c.AtMost, ["passed"] = c.Passed });
        }

        var curve = new JsonArray();
        foreach (var p in r.Curve)
        {
            curve.Add(new JsonObject { ["step"] = p.Step, ["reward"] = J(p.Reward), ["intended"] = J(p.Intended) });
        }

        return new JsonObject
        {
            ["id"] = r.ScenarioId,
            ["agent"] = r.Spec.Agent,
            ["steps"] = r.StepsTrained,
            ["steps_requested"] = r.Spec.Steps,
            ["seed"] = r.Spec.Seed,
            ["training_seconds"] = r.TrainingTime.TotalSeconds,
            ["reward"] = J(r.Train.Reward.Mean),
            ["intended"] = J(r.Train.Intended.Mean),
            ["score_reward"] = J(r.Train.RewardScore.Mean),
            ["score_intended"] = J(r.Train.IntendedScore.Mean),
            ["observed_outer_gap"] = J(r.Train.ObservedOuterGap),
            ["specification_gap_best"] = J(r.Specification.GapBest),
            ["specification_gap_worst"] = J(r.Specification.GapWorst),
            ["generalisation_gap"] = J(r.Diagnosis.GeneralisationGap),
            ["classification"] = r.Diagnosis.Distributions.Count > 1 ? r.Diagnosis.Classification.Describe() : null,
            ["outer_aligned"] = r.Verdict.OuterAligned,
            ["inner_aligned"] = r.Verdict.InnerAligned,
            ["checks"] = checks,
            ["distributions"] = distributions,
            ["curve"] = curve,
        };
    }

    public static string Cell(bool? value) => value switch
    {
        true => "yes",
        false => "NO",
        null => "undetermined",
    };

    public static JsonValue? J(double value) => double.IsFinite(value) ? JsonValue.Create(Math.Round(value, 6)) : null;

    public static string N(double value) => Numbers.Format(value);
}
