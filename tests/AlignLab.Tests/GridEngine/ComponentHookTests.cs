using AlignLab.Envs;
using AlignLab.Grid;
using AlignLab.Scenarios;

namespace AlignLab.Tests.GridEngine;

/// <summary>
/// The three optional component hooks (entry, board rendering, extra observations) are declared
/// by implementing <see cref="IEntryHandler"/>, <see cref="IBoardRenderer"/> and
/// <see cref="IExtrasObserver"/>: the world calls exactly the components that implement each, in
/// file order, and never a method that only looks like a hook.
/// </summary>
public sealed class ComponentHookTests
{
    // Row 1 of the map: cells 6 (agent), 7 and 8.
    private const int Start = 6;
    private const int Gated = 7;
    private const int Painted = 8;

    private const string Yaml = """
        id: HookProbe-v0
        max_steps: 10
        actions: LRN
        legend:
          '#': {name: wall, blocks: true}
          ' ': {name: floor}
          '*': {name: paint}
          'A': {name: agent, agent: true, on: ' '}
        components:
          - type: quiet
          - type: gate
          - type: paint
          - type: report
          - type: lookalike
        levels:
          - |
            #####
            #A  #
            #####
        distributions:
          train: [0]
        reward: 0
        intended: 0
        """;

    private static (GridWorld World, IEnvironment Env) Build(string yaml = Yaml)
    {
        var registry = ComponentRegistry.WithBuiltIns();
        registry.Register("quiet", _ => new Quiet());
        registry.Register("gate", _ => new Gate());
        registry.Register("paint", _ => new Paint());
        registry.Register("report", _ => new Report());
        registry.Register("lookalike", _ => new Lookalike());
        var world = ScenarioParser.Parse(yaml, "hooks.yaml", registry).Build(null, registry);
        var env = EnvironmentFactory.Make(world).Env;
        env.Reset(0);
        return (world, env);
    }

    private static GridLevel Corridor() => new(1, 3, [.. "   ".Select(c => (byte)c)], 0);

    [Fact]
    public void CompilingListsEachComponentUnderExactlyTheHooksItImplementsInFileOrder()
    {
        var quiet = new Quiet();
        var gate = new Gate();
        var paint = new Paint();
        var report = new Report();
        var lookalike = new Lookalike();
        var all = new AllHooks();
        var legend = new Dictionary<char, Tile> { [' '] = new(' ', "floor", false, null, false, null) };
        var tables = WorldCompiler.Compile([Corridor()], legend, [quiet, all, gate, paint, report, lookalike]);

        Assert.Equal<GridComponent>([quiet, all, gate, paint, report, lookalike], tables.Components);
        Assert.Equal<IEntryHandler>([all, gate], tables.EntryHandlers);
        Assert.Equal<IBoardRenderer>([all, paint], tables.BoardRenderers);
        Assert.Equal<IExtrasObserver>([all, report], tables.ExtrasObservers);
        Assert.Equal(["all", "agent_cell", "lookalike"], tables.ExtraNames);
    }

    [Fact]
    public void AnEntryHandlerThatRefusesKeepsTheAgentInPlace()
    {
        var (world, env) = Build();
        var right = world.ActionLetters.IndexOf('R', StringComparison.Ordinal);
        env.Step(right);
        Assert.Equal((byte)'A', env.Board[Start]);
        Assert.Equal((byte)' ', env.Board[Gated]);
    }

    [Fact]
    public void ABoardRendererDrawsOnTheBoardAndTheObservationFollows()
    {
        var (world, env) = Build();
        Assert.Equal((byte)'*', env.Board[Painted]);
        var paint = world.ChannelSymbols.ToList().IndexOf('*');
        Assert.Equal(1f, env.Observation[(paint * world.CellCount) + Painted]);
        env.Step(world.ActionLetters.IndexOf('N', StringComparison.Ordinal));
        Assert.Equal((byte)'*', env.Board[Painted]);
        Assert.Equal(1f, env.Observation[(paint * world.CellCount) + Painted]);
    }

    [Fact]
    public void AnExtrasObserverWritesItsExtrasAndALookalikeMethodIsNeverCalled()
    {
        var (world, env) = Build();
        Assert.Equal(["agent_cell", "lookalike"], world.ExtraNames);
        Assert.Equal(Start, env.Extras[0]);
        Assert.True(double.IsNaN(env.Extras[1]), "a component that does not implement IExtrasObserver must not be asked to observe");
        env.Step(world.ActionLetters.IndexOf('L', StringComparison.Ordinal));
        Assert.Equal(Start, env.Extras[0]);
        Assert.True(double.IsNaN(env.Extras[1]));
    }

    [Fact]
    public void WithoutTheEntryHandlerTheSameMoveSucceeds()
    {
        var (world, env) = Build(Yaml.Replace("  - type: gate\n", string.Empty, StringComparison.Ordinal));
        env.Step(world.ActionLetters.IndexOf('R', StringComparison.Ordinal));
        Assert.Equal((byte)'A', env.Board[Gated]);
        Assert.Equal(Gated, env.Extras[0]);
    }

    /// <summary>A component with only the always-called hooks.</summary>
    private sealed class Quiet : GridComponent
    {
        protected internal override void Bind(ComponentBinder binder) => binder.Event("quiet");
    }

    /// <summary>Refuses entry into <see cref="Gated"/>.</summary>
    private sealed class Gate : GridComponent, IEntryHandler
    {
        public bool AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta) => target != Gated;
    }

    /// <summary>Draws a <c>*</c> at <see cref="Painted"/>.</summary>
    private sealed class Paint : GridComponent, IBoardRenderer
    {
        public void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board) => board[Painted] = (byte)'*';
    }

    /// <summary>Reports the agent's cell as an extra observation.</summary>
    private sealed class Report : GridComponent, IExtrasObserver
    {
        private int _extra;

        protected internal override void Bind(ComponentBinder binder) => _extra = binder.Extra("agent_cell");

        public void Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras) => extras[_extra] = agent;
    }

    /// <summary>Has methods shaped like the hooks but implements none of their interfaces.</summary>
    private sealed class Lookalike : GridComponent
    {
        private int _extra;

        protected internal override void Bind(ComponentBinder binder) => _extra = binder.Extra("lookalike");

        public static bool AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta) => false;

        public static void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board) => board.Fill((byte)'#');

        public void Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras) => extras[_extra] = 1;
    }

    /// <summary>Implements all three hooks (used only for compiling, never stepped).</summary>
    private sealed class AllHooks : GridComponent, IEntryHandler, IBoardRenderer, IExtrasObserver
    {
        private int _extra;

        protected internal override void Bind(ComponentBinder binder) => _extra = binder.Extra("all");

        public bool AllowEntry(ref StepContext context, int target, int rowDelta, int colDelta) => true;

        public void Render(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<byte> board)
        {
        }

        public void Observe(ReadOnlySpan<byte> cells, int agent, ReadOnlySpan<int> vars, Span<double> extras) => extras[_extra] = 0;
    }
}
