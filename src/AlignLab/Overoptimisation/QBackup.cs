namespace AlignLab.Overoptimisation;

/// <summary>
/// The proxy objective as an optimiser sees it: writes q[s·A + a] = E[proxy(transition) +
/// vNext(s′)] for every state-action pair of an exact model (a terminal transition adds no next
/// value). Today the proxy is the specified reward, <c>(v, q) =&gt; model.Backup(world.Reward, v, q)</c>;
/// a learned reward evaluated per transition plugs in here without changing the analyses.
/// </summary>
/// <param name="vNext">The next step's value, one entry per state.</param>
/// <param name="q">Output: one entry per state-action pair, state-major.</param>
internal delegate void QBackup(ReadOnlySpan<double> vNext, Span<double> q);
