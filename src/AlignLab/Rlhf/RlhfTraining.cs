using System.Diagnostics;
using AlignLab.Agents;
using AlignLab.Errors;
using AlignLab.Preferences;
using AlignLab.Randomness;
using AlignLab.RewardModels;
using AlignLab.Solve;

namespace AlignLab.Rlhf;

/// <summary>
/// Iterated RLHF by learning (Christiano et al. 2017; imitation's <c>PreferenceComparisons</c>): an agent of any
/// registered kind trains on the learned reward through the agent contract, and the reward model is refitted on
/// segments of the agent's own behaviour. Every iteration is measured exactly: the learned reward's specification
/// gap, and the agent's exact reward and intended scores on the original world.
/// </summary>
/// <remarks>
/// <para>
/// One run, step by step. The seed is split as <see cref="RlhfExperiment"/> splits it (segments, labels, reward
/// models), then the agent's seed is drawn. The agent is made once, on the world whose visible reward is the learned
/// reward (<see cref="Grid.GridWorld.WithStepReward"/>), with a budget of <see cref="RlhfTrainingOptions.Iterations"/>
/// × <see cref="RlhfTrainingOptions.StepsPerIteration"/> steps. Iteration k:
/// </para>
/// <list type="number">
/// <item>asks its share of the comparisons (<see cref="RlhfTrainingOptions.Schedule"/>) on segments drawn from the
/// uniformly random policy (k = 0) or from the agent's current policy (k &gt; 0, mixed with
/// <see cref="RlhfTrainingOptions.Exploration"/> of uniform actions); with active selection, the pairs the previous
/// iteration's ensemble disagrees on most;</item>
/// <item>refits the reward ensemble on every label so far (a fresh fit, the same model seed every time);</item>
/// <item>continues training the same agent on the refitted reward up to (k + 1) × <see cref="RlhfTrainingOptions.StepsPerIteration"/>
/// steps, as Christiano et al. and imitation do (the policy is not reset when the reward model changes; a tabular
/// agent keeps its table and its ε schedule runs over the whole budget; a DQN agent's replay buffer keeps the
/// rewards the earlier models gave);</item>
/// <item>measures: the learned reward's exact specification gap (tabulated on every transition and solved, as
/// <see cref="RlhfExperiment.Run"/> does), and the agent's policy evaluated exactly on the original world.</item>
/// </list>
/// <para>The same seed and options give the same results, bit for bit.</para>
/// </remarks>
public static class RlhfTraining
{
    /// <summary>
    /// Runs iterated RLHF on the solution's world with <paramref name="labeller"/>, measuring every iteration exactly on
    /// <paramref name="solution"/> (the exact solution of the original world).
    /// </summary>
    /// <param name="solution">The exact solution of the world; the agent is evaluated on it.</param>
    /// <param name="labeller">Who compares the segments.</param>
    /// <param name="options">Iterations, agent and budget, exploration, and the preference learning.</param>
    /// <param name="progress">Receives each iteration's result as soon as it is measured; may be null.</param>
    /// <returns>Every iteration's measures, the trained agent and the last ensemble.</returns>
    /// <exception cref="UserInputException">Bad options (the agent's included), an agent too large, or a reward model the exact model cannot take.</exception>
    public static RlhfTrainingResult Run(ExactSolution solution, IPreferenceLabeller labeller, RlhfTrainingOptions options, Action<RlhfIteration>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(labeller);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var world = solution.World;
        var kind = RlhfExperiment.Resolve(options.Rlhf.Model, solution);
        var definition = AgentRegistry.Get(options.Agent);
        var rng = new Rng(options.Rlhf.Seed);
        var collector = new PreferenceCollector(world, labeller, options.Rlhf, kind, ref rng);
        var agentOptions = definition.Configure(options.AgentOptions, options.TotalSteps, rng.NextUInt64());
        definition.CheckSizes(world, agentOptions);
        var reward = new LearnedStepReward(world);
        var agent = definition.Create(world.WithStepReward(reward), agentOptions);
        var behaviour = Explore(agent.Policy, world.ActionLetters.Length, options.Exploration);
        var active = options.Rlhf.Selection == QuerySelectionMode.Active;
        var schedule = options.Schedule();
        var iterations = new List<RlhfIteration>(schedule.Length);
        var name = $"learned ({labeller.Name} labels)";
        RewardEnsemble? ensemble = null;
        for (var k = 0; k < schedule.Length; k++)
        {
            var clock = Stopwatch.StartNew();
            collector.Collect(schedule[k], k == 0 ? null : behaviour, active ? ensemble : null);
            ensemble = collector.Fit();
            reward.Ensemble = ensemble;
            var learnTime = clock.Elapsed;
            agent.Train(Math.Min(agent.TotalSteps, (k + 1) * options.StepsPerIteration));
            var trainTime = clock.Elapsed - learnTime;
            var gap = RlhfExperiment.MeasureGap(solution, ensemble, kind, name);
            var values = solution.Evaluate(agent.Policy);
            var learned = collector.Result(ensemble);
            var iteration = new RlhfIteration(
                k,
                collector.Count,
                ensemble.Members.Average(m => m.Report.ValidationAccuracy),
                learned.AgreementWithIntended,
                gap,
                agent.Step,
                values,
                learnTime,
                trainTime,
                clock.Elapsed - learnTime - trainTime);
            iterations.Add(iteration);
            progress?.Invoke(iteration);
        }

        return new RlhfTrainingResult(labeller.Name, options, kind, iterations, agent, ensemble!, collector.Result(ensemble!).PrincipleCounts);
    }

    /// <summary>The policy <paramref name="policy"/> mixed with uniform actions: (1 − ε)·π + ε/|A|.</summary>
    private static BoardPolicy Explore(BoardPolicy policy, int actions, double epsilon) => epsilon == 0 ? policy : (board, extras, probabilities) =>
    {
        policy(board, extras, probabilities);
        for (var a = 0; a < actions; a++)
        {
            probabilities[a] = ((1 - epsilon) * probabilities[a]) + (epsilon / actions);
        }
    };
}

/// <summary>One iteration of <see cref="RlhfTraining"/>, measured exactly.</summary>
/// <param name="Iteration">The iteration, from 0.</param>
/// <param name="Comparisons">Labels collected so far (all iterations up to this one).</param>
/// <param name="ValidationAccuracy">Members' mean held-out accuracy on the labels so far (NaN when nothing was held out).</param>
/// <param name="AgreementWithIntended">Share of the labels so far agreeing with the intended returns (pairs whose intended returns differ).</param>
/// <param name="Gap">The refitted reward's exact specification gap: its optimum, and the intended return over its optimal policies.</param>
/// <param name="AgentSteps">Environment steps the agent has trained on the learned rewards so far.</param>
/// <param name="Agent">The agent's policy evaluated exactly on the original world: its specified-reward and intended returns and scores.</param>
/// <param name="LearnTime">Sampling, labelling and fitting in this iteration.</param>
/// <param name="TrainTime">Training the agent in this iteration.</param>
/// <param name="MeasureTime">Tabulating and solving the learned reward, and evaluating the agent's policy.</param>
public sealed record RlhfIteration(
    int Iteration,
    int Comparisons,
    double ValidationAccuracy,
    double AgreementWithIntended,
    RewardGap Gap,
    long AgentSteps,
    PolicyValues Agent,
    TimeSpan LearnTime,
    TimeSpan TrainTime,
    TimeSpan MeasureTime);

/// <summary>An iterated RLHF run.</summary>
/// <param name="Labeller">The labeller's name.</param>
/// <param name="Options">The run's options.</param>
/// <param name="Model">The reward model fitted (never <see cref="RewardModelKind.Auto"/>).</param>
/// <param name="Iterations">Every iteration's measures, in order.</param>
/// <param name="Agent">The trained agent (its policy, checkpoint and options); its environments report the last learned reward.</param>
/// <param name="Ensemble">The reward ensemble of the last iteration, fitted to every label.</param>
/// <param name="PrincipleCounts">For a constitution: labels decided by each principle, then ties (last); null otherwise.</param>
public sealed record RlhfTrainingResult(
    string Labeller,
    RlhfTrainingOptions Options,
    RewardModelKind Model,
    IReadOnlyList<RlhfIteration> Iterations,
    IAgent Agent,
    RewardEnsemble Ensemble,
    IReadOnlyList<int>? PrincipleCounts);
